// Multi-scalar multiplication over the verifier's fixed generators with
// precomputed tables (variable time: public inputs only).
#pragma once

#include <span>

#include "basin/crypto/group.hpp"

namespace basin::crypto::detail {

// sum_i g_i*G_i + sum_i h_i*H_i + b*B + bb*B_blinding for i < g.size()
// (g and h the same size, a power of two from 64 to 4096).
Point fixed_generators_msm(std::span<const Scalar> g, std::span<const Scalar> h, const Scalar& b,
                           const Scalar& bb);

}  // namespace basin::crypto::detail
