// Variable-time multi-scalar multiplication sum(k_i * P_i): Straus for small
// sizes, Pippenger's bucket method for large ones. Only for public inputs
// (verification): running time depends on the scalars.
#pragma once

#include <span>

#include "basin/crypto/group.hpp"

namespace basin::crypto {

Point msm(std::span<const Scalar> scalars, std::span<const Point> points);
Point msm_straus(std::span<const Scalar> scalars, std::span<const Point> points);
Point msm_pippenger(std::span<const Scalar> scalars, std::span<const Point> points);

}  // namespace basin::crypto
