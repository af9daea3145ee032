#include "basin/books/log_exchange.hpp"

#include <span>

namespace basin::books {
namespace {

using Kind = BundleVerdict::Kind;

BundleVerdict verdict(Kind kind, std::string reason, const tlog::Checkpoint& cp = {}) {
  BundleVerdict v;
  v.kind = kind;
  v.reason = std::move(reason);
  v.checkpoint = cp;
  return v;
}

std::string sizes(std::uint64_t a, std::uint64_t b) {
  return std::to_string(a) + " and " + std::to_string(b);
}

}  // namespace

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::extends:
      return "extends";
    case Kind::replay:
      return "replay";
    case Kind::fork:
      return "fork";
    case Kind::bad:
      return "bad";
  }
  return "?";
}

BundleVerdict check_bundle(const Bundle& b, const MirroredLog& mirror,
                           const tlog::NoteVerifier& log_key) {
  return check_bundle(b, mirror, std::span(&log_key, 1));
}

BundleVerdict check_bundle(const Bundle& b, const MirroredLog& mirror,
                           std::span<const tlog::NoteVerifier> log_keys) {
  if (log_keys.empty()) return verdict(Kind::bad, "no key to check the checkpoint with");
  const auto& log_key = log_keys.front();
  tlog::Checkpoint cp;
  try {
    cp = tlog::parse_checkpoint(tlog::open_note_any(b.checkpoint_note, log_keys));
  } catch (const std::exception& e) {
    return verdict(Kind::bad, std::string("checkpoint: ") + e.what());
  }
  if (cp.origin != b.origin || cp.origin != log_key.name)
    return verdict(Kind::bad, "checkpoint of log " + cp.origin + " in a bundle of " + b.origin, cp);
  if (b.from_size > cp.size || b.leaves.size() != cp.size - b.from_size)
    return verdict(Kind::bad,
                   "the bundle holds " + std::to_string(b.leaves.size()) + " leaves from " +
                       std::to_string(b.from_size) + ", its checkpoint has " +
                       std::to_string(cp.size) + " (truncated or padded bundle)",
                   cp);
  const std::span<const tlog::Hash> held(mirror.leaf_hashes);
  const std::uint64_t have = held.size();

  // A tree no larger than what this site holds: the same tree again, or a fork.
  if (cp.size <= have) {
    if (tlog::root(held.first(cp.size)) == cp.root)
      return verdict(Kind::replay,
                     "checkpoint of size " + std::to_string(cp.size) + " already witnessed", cp);
    return verdict(Kind::fork,
                   "signed checkpoint of size " + std::to_string(cp.size) +
                       " has another root than the leaves this site accepted",
                   cp);
  }
  if (b.from_size > have)
    return verdict(Kind::bad,
                   "the bundle starts at leaf " + std::to_string(b.from_size) +
                       ", this site holds only " + std::to_string(have) +
                       " leaves: import the earlier bundles first, or ask the site for `basin "
                       "ledger export --from " +
                       std::to_string(have) + "`",
                   cp);
  // Leaves this site holds and the bundle repeats must be the same leaves.
  for (std::uint64_t i = b.from_size; i < have; ++i)
    if (tlog::leaf_hash(b.leaves[i - b.from_size]) != held[i])
      return verdict(Kind::fork, "leaf " + std::to_string(i) + " differs from the one accepted",
                     cp);
  // The proof from the tree this site had at from_size to the new checkpoint.
  if (b.from_size > 0 &&
      !tlog::verify_consistency(b.from_size, cp.size, tlog::root(held.first(b.from_size)), cp.root,
                                b.consistency))
    return verdict(Kind::fork,
                   "no consistency between tree sizes " + sizes(b.from_size, cp.size) +
                       ": the log does not extend the tree this site witnessed",
                   cp);
  // Every leaf of the checkpoint must be in the bundle, unaltered.
  std::vector<tlog::Hash> all(held.begin(),
                              held.begin() + static_cast<std::ptrdiff_t>(b.from_size));
  const auto fresh = tlog::leaf_hashes(b.leaves);
  all.insert(all.end(), fresh.begin(), fresh.end());
  if (tlog::root(all) != cp.root)
    return verdict(Kind::bad,
                   "the bundle's leaves do not make up its checkpoint's root: a receipt of the "
                   "checkpoint is missing from the bundle or altered",
                   cp);
  BundleVerdict v = verdict(Kind::extends, "", cp);
  v.first_new = have;
  v.skip = static_cast<std::size_t>(have - b.from_size);
  return v;
}

}  // namespace basin::books
