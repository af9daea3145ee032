// Finding the bad items of a batch whose random linear combination failed:
// one helper for every batch verifier (Ed25519 signatures, range proofs).
#pragma once

#include <cstddef>

namespace basin::crypto::detail {

// A single check costs several times an item's share of a combination:
// below this many items a failed range is resolved by single checks.
inline constexpr std::size_t kSinglyBelow = 64;

// [lo, hi) holds a bad item (its combination failed). Halve while only one
// half holds a bad item: when the low half's combination holds, the bad item
// is in the high half and that half need not be combined to know it; when
// the low half fails, the high half is combined once to tell whether it is
// clean. One hostile item among 10^5 costs about 2.5 batches' worth of
// combinations, not 10^5 single checks. When both halves fail the bad items
// are spread, and single checks are cheaper than halving further.
// holds(lo, hi): does the combination over [lo, hi) hold; check_singly(lo,
// hi): check each item alone and record the bad ones.
template <class Holds, class CheckSingly>
void narrow_failure(std::size_t lo, std::size_t hi, Holds&& holds, CheckSingly&& check_singly) {
  while (hi - lo >= kSinglyBelow) {
    const std::size_t mid = lo + (hi - lo) / 2;
    if (holds(lo, mid)) {
      lo = mid;
      continue;
    }
    if (holds(mid, hi)) {
      hi = mid;
      continue;
    }
    break;
  }
  check_singly(lo, hi);
}

}  // namespace basin::crypto::detail
