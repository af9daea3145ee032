#include "basin/books/bundle.hpp"

#include <cstring>

#include "basin/records/byte_codec.hpp"

namespace basin::books {
namespace {

constexpr char kMagic[] = "basin-bundle\n";
constexpr std::size_t kMagicLen = sizeof kMagic - 1;
using Writer = records::codec::Writer<BundleError, 256, true>;
using Reader = records::codec::Reader<BundleError, 256, true>;

}  // namespace

std::vector<std::uint8_t> encode_bundle(const Bundle& b) {
  if (b.checkpoint_note.size() > kMaxBundleNote) throw BundleError("checkpoint note too large");
  if (b.consistency.size() > kMaxBundleProof) throw BundleError("consistency proof too long");
  Writer w;
  w.put_bytes({reinterpret_cast<const std::uint8_t*>(kMagic), kMagicLen});
  w.put<std::uint16_t>(kBundleVersion);
  w.put_string(b.pool, "pool");
  w.put_string(b.origin, "origin");
  w.put<std::uint64_t>(b.from_size);
  w.put<std::uint32_t>(static_cast<std::uint32_t>(b.checkpoint_note.size()));
  w.put_bytes(
      {reinterpret_cast<const std::uint8_t*>(b.checkpoint_note.data()), b.checkpoint_note.size()});
  w.put<std::uint32_t>(static_cast<std::uint32_t>(b.consistency.size()));
  for (const auto& h : b.consistency) w.put_bytes(h);
  w.put<std::uint64_t>(b.leaves.size());
  for (const auto& leaf : b.leaves) {
    if (leaf.empty() || leaf.size() > kMaxBundleLeaf)
      throw BundleError("a leaf of " + std::to_string(leaf.size()) + " bytes cannot be bundled");
    w.put<std::uint32_t>(static_cast<std::uint32_t>(leaf.size()));
    w.put_bytes(leaf);
  }
  if (b.openings.size() > kMaxBundleOpenings) throw BundleError("too many openings");
  w.put<std::uint32_t>(static_cast<std::uint32_t>(b.openings.size()));
  for (const auto& o : b.openings) {
    if (o.empty() || o.size() > kMaxOpeningNote)
      throw BundleError("an opening too large to bundle");
    w.put<std::uint32_t>(static_cast<std::uint32_t>(o.size()));
    w.put_bytes({reinterpret_cast<const std::uint8_t*>(o.data()), o.size()});
  }
  if (b.evidence.size() > b.leaves.size())
    throw BundleError("more replica evidence than receipts in the bundle");
  w.put<std::uint32_t>(static_cast<std::uint32_t>(b.evidence.size()));
  for (const auto& e : b.evidence) {
    if (e.signed_record.empty() || e.signed_record.size() > kMaxEvidenceRecord)
      throw BundleError("a signed record of " + std::to_string(e.signed_record.size()) +
                        " bytes cannot be bundled");
    w.put<std::uint64_t>(e.leaf);
    w.put_bytes(e.salt);
    w.put<std::uint32_t>(static_cast<std::uint32_t>(e.signed_record.size()));
    w.put_bytes(e.signed_record);
  }
  return w.take();
}

Bundle decode_bundle(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < kMagicLen || std::memcmp(bytes.data(), kMagic, kMagicLen) != 0)
    throw BundleError("not a Basin bundle (it does not start with \"basin-bundle\")");
  Reader r(bytes.subspan(kMagicLen));
  Bundle b;
  const auto version = r.get<std::uint16_t>("version");
  if (version < 1 || version > kBundleVersion)
    throw BundleError("bundle version " + std::to_string(version) + " is not 1 to " +
                      std::to_string(kBundleVersion) + ": upgrade Basin at this site");
  b.pool = r.get_string("pool");
  b.origin = r.get_string("origin");
  b.from_size = r.get<std::uint64_t>("from_size");
  const auto note_len = r.get<std::uint32_t>("checkpoint note length");
  if (note_len > kMaxBundleNote) throw BundleError("checkpoint note longer than 1 MiB");
  const auto note = r.get_bytes(note_len, "checkpoint note");
  b.checkpoint_note.assign(reinterpret_cast<const char*>(note.data()), note.size());
  const auto k = r.get<std::uint32_t>("consistency proof length");
  if (k > kMaxBundleProof)
    throw BundleError("consistency proof of " + std::to_string(k) + " hashes");
  for (std::uint32_t i = 0; i < k; ++i) {
    tlog::Hash h{};
    const auto raw = r.get_bytes(h.size(), "consistency proof");
    std::copy(raw.begin(), raw.end(), h.begin());
    b.consistency.push_back(h);
  }
  const auto m = r.get<std::uint64_t>("leaf count");
  // Each leaf takes at least 5 bytes: a count beyond that is a lie, refused
  // before anything is reserved for it.
  if (m > r.remaining() / 5)
    throw BundleError("leaf count " + std::to_string(m) +
                      " exceeds what the bundle holds (truncated?)");
  b.leaves.reserve(static_cast<std::size_t>(m));
  for (std::uint64_t i = 0; i < m; ++i) {
    const auto len = r.get<std::uint32_t>("leaf length");
    if (len == 0 || len > kMaxBundleLeaf)
      throw BundleError("leaf " + std::to_string(b.from_size + i) + " has length " +
                        std::to_string(len));
    const auto leaf = r.get_bytes(len, "leaf");
    b.leaves.emplace_back(leaf.begin(), leaf.end());
  }
  const auto o = r.get<std::uint32_t>("opening count");
  if (o > kMaxBundleOpenings) throw BundleError(std::to_string(o) + " openings in one bundle");
  for (std::uint32_t i = 0; i < o; ++i) {
    const auto len = r.get<std::uint32_t>("opening length");
    if (len == 0 || len > kMaxOpeningNote)
      throw BundleError("opening " + std::to_string(i) + " has length " + std::to_string(len));
    const auto note = r.get_bytes(len, "opening");
    b.openings.emplace_back(reinterpret_cast<const char*>(note.data()), note.size());
  }
  if (version >= 2) {
    const auto e = r.get<std::uint32_t>("evidence count");
    // Each item takes at least 45 bytes (leaf, salt, length, one byte).
    if (e > b.leaves.size() || e > r.remaining() / 45)
      throw BundleError("evidence count " + std::to_string(e) +
                        " exceeds the bundle's receipts or what it holds (truncated?)");
    b.evidence.reserve(e);
    for (std::uint32_t i = 0; i < e; ++i) {
      ledger::ReplicaEvidence item;
      item.leaf = r.get<std::uint64_t>("evidence leaf");
      const auto salt = r.get_bytes(item.salt.size(), "evidence salt");
      std::copy(salt.begin(), salt.end(), item.salt.begin());
      const auto len = r.get<std::uint32_t>("evidence record length");
      if (len == 0 || len > kMaxEvidenceRecord)
        throw BundleError("evidence of leaf " + std::to_string(item.leaf) +
                          " has a record of length " + std::to_string(len));
      const auto rec = r.get_bytes(len, "evidence record");
      item.signed_record.assign(rec.begin(), rec.end());
      b.evidence.push_back(std::move(item));
    }
  }
  if (r.remaining() != 0)
    throw BundleError(std::to_string(r.remaining()) + " bytes after the bundle's last section");
  return b;
}

}  // namespace basin::books
