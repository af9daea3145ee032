// Variable-time multi-scalar multiplication sum(k_i * P_i): Straus for small
// sizes, Pippenger's bucket method for large ones. Only for public inputs
// (verification): running time depends on the scalars.
#pragma once

#include <span>

#include "basin/crypto/group.hpp"

namespace basin::crypto {

Point msm(std::span<const Scalar> scalars, std::span<const Point> points);
// msm() split over the cores (oneTBB's arena): one slice of the terms a core,
// the partial sums added. For batch verification's 10^5-10^6 terms.
Point parallel_msm(std::span<const Scalar> scalars, std::span<const Point> points);
Point msm_straus(std::span<const Scalar> scalars, std::span<const Point> points);
Point msm_pippenger(std::span<const Scalar> scalars, std::span<const Point> points);

namespace detail {
// Pippenger with AVX-512 IFMA, eight windows at once (msm_ifma.cpp); false
// (out untouched) when the CPU lacks the instructions. msm() uses it for
// large sizes once decode_many's run-time check has accepted libdecaf's layout.
bool msm_pippenger_vector(std::span<const Scalar> scalars, std::span<const Point> points,
                          Point& out);
}  // namespace detail

}  // namespace basin::crypto
