// A bundle: what one site sends the others so they can witness its receipt
// log and, later, settle from public data.
//
// Encoding (version 1), integers little-endian, strings u16 length + UTF-8:
//   "basin-bundle\n" (13 bytes)  u16 version
//   str pool, str origin          the exporting site's log
//   u64 from_size                 the tree size of the previous bundle (0: the first)
//   u32 n + n bytes               the signed checkpoint note (with the cosignatures
//                                 the site has collected for it), at most 1 MiB
//   u32 k + k x 32 bytes          consistency proof from from_size to the
//                                 checkpoint's size (RFC 6962; none when from_size is 0)
//   u64 m, m x (u32 len + bytes)  the leaves from_size .. size-1 (receipts)
//   u32 o, o x (u32 len + bytes)  the provider's signed pair openings of
//                                 closed periods (basin/books/openings.hpp)
//   u32 e, e x (u64 leaf, 32 bytes salt, u32 len + bytes)
//                                 version 2: replica evidence of the bundle's
//                                 receipts of replicated jobs, by leaf
//                                 (basin/books/replica_evidence.hpp)
// Nothing may follow. Version 1 (no evidence section) is still read. A bundle is an untrusted
// input: decode() checks every length against what remains before reading and names what is wrong.
#pragma once

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "basin/ledger/ledger.hpp"
#include "basin/tlog/merkle.hpp"

namespace basin::books {

inline constexpr std::uint16_t kBundleVersion = 2;
inline constexpr std::size_t kMaxBundleLeaf = 64 * 1024;  // a receipt is about 1.5 KiB
inline constexpr std::size_t kMaxBundleProof = 128;       // log2 of any real tree, twice
inline constexpr std::size_t kMaxBundleNote = 1 << 20;    // as tlog::open_note
inline constexpr std::size_t kMaxBundleOpenings = 65536;
inline constexpr std::size_t kMaxOpeningNote = 4096;
inline constexpr std::size_t kMaxBundleFile = std::size_t{4} << 30;
inline constexpr std::size_t kMaxEvidenceRecord = 64 * 1024;  // a signed record is < 1 KiB

struct Bundle {
  std::string pool;
  std::string origin;
  std::uint64_t from_size = 0;
  std::string checkpoint_note;
  std::vector<tlog::Hash> consistency;
  std::vector<std::vector<std::uint8_t>> leaves;
  std::vector<std::string> openings;              // signed notes
  std::vector<ledger::ReplicaEvidence> evidence;  // by ascending leaf
};

class BundleError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::vector<std::uint8_t> encode_bundle(const Bundle& bundle);
Bundle decode_bundle(std::span<const std::uint8_t> bytes);  // throws BundleError

}  // namespace basin::books
