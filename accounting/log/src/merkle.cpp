#include "basin/tlog/merkle.hpp"

#include <sodium.h>
#include <tbb/parallel_for.h>

#include <stdexcept>

#include "basin/common/hex.hpp"

namespace basin::tlog {
namespace {

bool lsb(std::uint64_t x) {
  return (x & 1u) != 0;
}

// MTH of a contiguous range, for proof generation: proofs touch O(log n)
// subtrees, each hashed once.
Hash range_root(std::span<const Hash> leaves) {
  return root(leaves);
}

void path(std::uint64_t m, std::span<const Hash> d, std::vector<Hash>& out) {
  const std::uint64_t n = d.size();
  if (n <= 1) return;
  const std::uint64_t k = split_point(n);
  if (m < k) {
    path(m, d.first(k), out);
    out.push_back(range_root(d.subspan(k)));
  } else {
    path(m - k, d.subspan(k), out);
    out.push_back(range_root(d.first(k)));
  }
}

void subproof(std::uint64_t m, std::span<const Hash> d, bool b, std::vector<Hash>& out) {
  const std::uint64_t n = d.size();
  if (m == n) {
    if (!b) out.push_back(range_root(d));
    return;
  }
  const std::uint64_t k = split_point(n);
  if (m <= k) {
    subproof(m, d.first(k), b, out);
    out.push_back(range_root(d.subspan(k)));
  } else {
    subproof(m - k, d.subspan(k), false, out);
    out.push_back(range_root(d.first(k)));
  }
}

}  // namespace

Hash leaf_hash(std::span<const std::uint8_t> data) {
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  const std::uint8_t prefix = 0x00;
  crypto_hash_sha256_update(&st, &prefix, 1);
  crypto_hash_sha256_update(&st, data.data(), data.size());
  Hash h;
  crypto_hash_sha256_final(&st, h.data());
  return h;
}

std::vector<Hash> leaf_hashes(std::span<const std::vector<std::uint8_t>> leaves) {
  std::vector<Hash> out(leaves.size());
  tbb::parallel_for(std::size_t{0}, leaves.size(),
                    [&](std::size_t i) { out[i] = leaf_hash(leaves[i]); });
  return out;
}

Hash node_hash(const Hash& left, const Hash& right) {
  std::uint8_t buf[65];
  buf[0] = 0x01;
  std::copy(left.begin(), left.end(), buf + 1);
  std::copy(right.begin(), right.end(), buf + 33);
  Hash h;
  crypto_hash_sha256(h.data(), buf, sizeof buf);
  return h;
}

Hash empty_root() {
  Hash h;
  crypto_hash_sha256(h.data(), nullptr, 0);
  return h;
}

std::uint64_t split_point(std::uint64_t n) {
  if (n < 2) throw std::invalid_argument("split_point needs n >= 2");
  std::uint64_t k = 1;
  while (k < n - k) k <<= 1;  // largest power of two strictly below n
  return k;
}

Hash root(std::span<const Hash> leaves) {
  if (leaves.empty()) return empty_root();
  // A stack of perfect subtrees, merged as in a binary counter: equivalent
  // to MTH's left-heavy split because left subtrees are powers of two.
  std::vector<std::pair<Hash, std::uint64_t>> stack;  // (hash, size)
  for (const auto& leaf : leaves) {
    stack.emplace_back(leaf, 1);
    while (stack.size() >= 2 && stack[stack.size() - 1].second == stack[stack.size() - 2].second) {
      auto right = stack.back();
      stack.pop_back();
      stack.back().first = node_hash(stack.back().first, right.first);
      stack.back().second *= 2;
    }
  }
  Hash acc = stack.back().first;
  for (std::size_t i = stack.size() - 1; i-- > 0;) acc = node_hash(stack[i].first, acc);
  return acc;
}

std::vector<Hash> inclusion_proof(std::span<const Hash> leaves, std::uint64_t index) {
  if (index >= leaves.size())
    throw std::out_of_range("leaf index " + std::to_string(index) + " is not below the tree size " +
                            std::to_string(leaves.size()));
  std::vector<Hash> out;
  path(index, leaves, out);
  return out;
}

std::vector<Hash> consistency_proof(std::span<const Hash> leaves, std::uint64_t old_size) {
  if (old_size == 0 || old_size > leaves.size())
    throw std::out_of_range("old size " + std::to_string(old_size) + " must be 1.." +
                            std::to_string(leaves.size()));
  std::vector<Hash> out;
  subproof(old_size, leaves, true, out);
  return out;
}

bool verify_inclusion(std::uint64_t index, std::uint64_t size, const Hash& leaf,
                      std::span<const Hash> proof, const Hash& root_hash) {
  if (index >= size) return false;
  std::uint64_t fn = index, sn = size - 1;
  Hash r = leaf;
  for (const auto& p : proof) {
    if (sn == 0) return false;
    if (lsb(fn) || fn == sn) {
      r = node_hash(p, r);
      if (!lsb(fn))
        while (!lsb(fn) && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
    } else {
      r = node_hash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root_hash;
}

bool verify_consistency(std::uint64_t old_size, std::uint64_t size, const Hash& old_root,
                        const Hash& root_hash, std::span<const Hash> proof) {
  if (old_size > size) return false;
  if (old_size == size) return proof.empty() && old_root == root_hash;
  if (old_size == 0) return proof.empty();  // the empty tree is a prefix of all
  if (proof.empty()) return false;
  std::vector<Hash> p;
  // If old_size is a power of two, the old root is the first node of the path.
  if ((old_size & (old_size - 1)) == 0) p.push_back(old_root);
  p.insert(p.end(), proof.begin(), proof.end());
  std::uint64_t fn = old_size - 1, sn = size - 1;
  while (lsb(fn)) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = p[0], sr = p[0];
  for (std::size_t i = 1; i < p.size(); ++i) {
    const Hash& c = p[i];
    if (sn == 0) return false;
    if (lsb(fn) || fn == sn) {
      fr = node_hash(c, fr);
      sr = node_hash(c, sr);
      if (!lsb(fn))
        while (!lsb(fn) && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
    } else {
      sr = node_hash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return fr == old_root && sr == root_hash && sn == 0;
}

std::string to_hex(const Hash& h) {
  return common::to_hex(h);
}

bool parse_hash(const std::string& hex, Hash& out) {
  return common::from_hex(hex, out);
}

}  // namespace basin::tlog
