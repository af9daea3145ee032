// Witnessing another site's receipt log: does a bundle extend what this site
// saw of that log before?
//
// The importing site holds every leaf it accepted of the log (it is a full
// mirror, so it can check a bundle without trusting it) and the checkpoint
// note it last accepted. A bundle is one of:
//   extends  its checkpoint is signed by the log's site, its consistency
//            proof shows it extends the tree the previous bundle ended at,
//            and its leaves make up exactly its checkpoint's root;
//   replay   a checkpoint this site already has (or an older one of the same
//            tree): nothing to add;
//   fork     a validly signed checkpoint that does not extend the one this
//            site saw (a leaf it holds changed, a smaller tree with another
//            root, or a proof from the tree it saw that fails): both signed
//            checkpoints are evidence;
//   bad      anything else (unsigned, wrong origin, leaves missing from or
//            added to the checkpoint, a gap after what this site has).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "basin/books/bundle.hpp"
#include "basin/tlog/merkle.hpp"
#include "basin/tlog/signed_note.hpp"

namespace basin::books {

// What this site holds of one log.
struct MirroredLog {
  std::vector<tlog::Hash> leaf_hashes;  // leaves 0 .. size-1
  std::string note;                     // the checkpoint note last accepted ("" if none)
};

struct BundleVerdict {
  enum class Kind { extends, replay, fork, bad } kind = Kind::bad;
  std::string reason;           // for replay, fork and bad: what was found
  tlog::Checkpoint checkpoint;  // the bundle's (valid when signed)
  std::uint64_t first_new = 0;  // extends: index of the first leaf to append
  std::size_t skip = 0;         // extends: bundle leaves already held (overlap)
};

// Checks `bundle` against `mirror` with the log's key. Pure: no ledger.
BundleVerdict check_bundle(const Bundle& bundle, const MirroredLog& mirror,
                           const tlog::NoteVerifier& log_key);
// The same when the site has several keys (current first, then earlier ones
// after a rotation): the checkpoint may carry any of them.
BundleVerdict check_bundle(const Bundle& bundle, const MirroredLog& mirror,
                           std::span<const tlog::NoteVerifier> log_keys);

const char* kind_name(BundleVerdict::Kind kind);

}  // namespace basin::books
