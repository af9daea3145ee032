// Which of a kernel's clones runs: each vectorised loop is compiled once per
// instruction set (a scalar baseline, AVX2 + FMA, AVX-512), and a call picks
// one by the Isa the plan was given.
#pragma once

#include "basin/infer/model.hpp"

namespace basin::infer {

// isa itself, or native_isa() for native; ModelError ("the avx512 kernels
// cannot run on this CPU") when this CPU lacks it.
Isa runnable_isa(Isa isa);

// The clone for runnable_isa(isa) among the three.
template <class F>
F pick_clone(Isa isa, F scalar, F avx2, F avx512) {
  switch (runnable_isa(isa)) {
    case Isa::avx512:
      return avx512;
    case Isa::avx2:
      return avx2;
    default:
      return scalar;
  }
}

}  // namespace basin::infer
