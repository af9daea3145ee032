// RFC 6962 / RFC 9162 Merkle tree hashing, inclusion and consistency proofs.
//
//   leaf hash   SHA-256(0x00 || data)
//   node hash   SHA-256(0x01 || left || right)
//   MTH(D[n])   split at k, the largest power of two smaller than n
//   empty tree  SHA-256("")
//
// Proof generation follows RFC 6962 2.1.1 (PATH) and 2.1.2 (PROOF/SUBPROOF);
// verification follows RFC 9162 2.1.3.2 and 2.1.4.2 step by step, including
// the "shift right until the low bit is set" loops that some implementations
// drop (and then reject valid proofs). Checked against the RFC 6962 reference
// vectors published by transparency-dev/merkle.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace basin::tlog {

using Hash = std::array<std::uint8_t, 32>;

Hash leaf_hash(std::span<const std::uint8_t> data);
// leaf_hash of each leaf, spread over the cores (a bundle holds 10^5 leaves).
std::vector<Hash> leaf_hashes(std::span<const std::vector<std::uint8_t>> leaves);
Hash node_hash(const Hash& left, const Hash& right);
Hash empty_root();

// The largest power of two smaller than n (n >= 2).
std::uint64_t split_point(std::uint64_t n);

// MTH over leaf hashes; empty_root() for none. O(n) time, O(log n) memory.
Hash root(std::span<const Hash> leaf_hashes);

// The audit path for leaf `index` in the tree of all `leaf_hashes`.
std::vector<Hash> inclusion_proof(std::span<const Hash> leaf_hashes, std::uint64_t index);

// The consistency proof from the tree of the first `old_size` leaves to the
// tree of all of them (0 < old_size <= size; empty when equal).
std::vector<Hash> consistency_proof(std::span<const Hash> leaf_hashes, std::uint64_t old_size);

// RFC 9162 2.1.3.2: true iff `proof` shows leaf `leaf` at `index` in the tree
// of `size` leaves with root `root`.
bool verify_inclusion(std::uint64_t index, std::uint64_t size, const Hash& leaf,
                      std::span<const Hash> proof, const Hash& root);

// RFC 9162 2.1.4.2: true iff `proof` shows the tree of `old_size` leaves with
// root `old_root` is a prefix of the tree of `size` leaves with root `root`.
bool verify_consistency(std::uint64_t old_size, std::uint64_t size, const Hash& old_root,
                        const Hash& root, std::span<const Hash> proof);

std::string to_hex(const Hash& h);
// Strict: exactly 64 hex digits.
bool parse_hash(const std::string& hex, Hash& out);

}  // namespace basin::tlog
