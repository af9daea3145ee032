// Finding the bad items of a batch whose random linear combination failed:
// one helper for every batch verifier (Ed25519 signatures, range proofs).
#pragma once

#include <cstddef>

namespace basin::crypto::detail {

// A single check costs several times an item's share of a combination:
// below this many items a failed range is resolved by single checks.
inline constexpr std::size_t kSinglyBelow = 64;

// [lo, hi) holds a bad item. Halve while only one half fails (one hostile
// item among 10^5 costs about three combinations, not 10^5 single checks);
// when both halves fail the bad items are spread, and single checks are
// cheaper than halving further. holds(lo, hi): does the combination over
// [lo, hi) hold; check_singly(lo, hi): check each item alone and record the
// bad ones.
template <class Holds, class CheckSingly>
void narrow_failure(std::size_t lo, std::size_t hi, Holds&& holds, CheckSingly&& check_singly) {
  while (hi - lo >= kSinglyBelow) {
    const std::size_t mid = lo + (hi - lo) / 2;
    const bool low_holds = holds(lo, mid), high_holds = holds(mid, hi);
    if (low_holds && high_holds) return;
    if (!low_holds && !high_holds) break;
    if (!low_holds)
      hi = mid;
    else
      lo = mid;
  }
  check_singly(lo, hi);
}

}  // namespace basin::crypto::detail
