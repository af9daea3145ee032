// check_bundle: every verdict on real RFC 6962 trees and real signed notes.
#include <gtest/gtest.h>

#include <memory>

#include "basin/books/bundle.hpp"
#include "basin/books/log_exchange.hpp"

using namespace basin;
using books::Bundle;
using Kind = books::BundleVerdict::Kind;

namespace {

const std::string kOrigin = "demo/campus/receipts";

std::vector<std::uint8_t> leaf(int i, char tag = 'a') {
  const std::string s = "receipt " + std::to_string(i) + tag;
  return {s.begin(), s.end()};
}

struct Log {
  // Shared by copies: a rewritten copy of the log is signed by the same key.
  std::shared_ptr<tlog::NoteSigner> signer =
      std::make_shared<tlog::NoteSigner>(tlog::NoteSigner::generate(kOrigin));
  const tlog::NoteSigner& key() const { return *signer; }
  std::vector<std::vector<std::uint8_t>> leaves;
  std::vector<tlog::Hash> hashes() const {
    std::vector<tlog::Hash> h;
    for (const auto& l : leaves) h.push_back(tlog::leaf_hash(l));
    return h;
  }
  std::string note(std::uint64_t size) const {
    const auto h = hashes();
    const auto root = tlog::root(std::span(h).first(size));
    return tlog::sign_note(tlog::checkpoint_text({kOrigin, size, root}), key());
  }
  // The bundle from `from` to `size`, as make_bundle writes it.
  Bundle bundle(std::uint64_t from, std::uint64_t size) const {
    Bundle b{"demo", kOrigin, from, note(size), {}, {}, {}, {}};
    const auto h = hashes();
    if (from > 0 && from < size)
      b.consistency = tlog::consistency_proof(std::span(h).first(size), from);
    b.leaves.assign(leaves.begin() + static_cast<std::ptrdiff_t>(from),
                    leaves.begin() + static_cast<std::ptrdiff_t>(size));
    return b;
  }
  books::MirroredLog mirror(std::uint64_t size) const {
    const auto h = hashes();
    return {{h.begin(), h.begin() + static_cast<std::ptrdiff_t>(size)}, size ? note(size) : ""};
  }
};

Log log_of(int n) {
  Log log;
  for (int i = 0; i < n; ++i) log.leaves.push_back(leaf(i));
  return log;
}

}  // namespace

TEST(LogExchange, FirstBundleAndEachLaterOneExtendWithAProof) {
  const auto log = log_of(13);
  auto v = books::check_bundle(log.bundle(0, 5), {}, log.key().verifier());
  EXPECT_EQ(v.kind, Kind::extends) << v.reason;
  EXPECT_EQ(v.first_new, 0u);
  for (std::uint64_t from : {1, 4, 5, 7, 8}) {
    for (std::uint64_t to = from + 1; to <= 13; ++to) {
      v = books::check_bundle(log.bundle(from, to), log.mirror(from), log.key().verifier());
      EXPECT_EQ(v.kind, Kind::extends) << from << ".." << to << ": " << v.reason;
      EXPECT_EQ(v.first_new, from);
      EXPECT_EQ(v.skip, 0u);
    }
  }
  // A re-sent bundle overlapping what the site holds extends past it.
  v = books::check_bundle(log.bundle(4, 10), log.mirror(7), log.key().verifier());
  EXPECT_EQ(v.kind, Kind::extends) << v.reason;
  EXPECT_EQ(v.first_new, 7u);
  EXPECT_EQ(v.skip, 3u);
}

TEST(LogExchange, SameOrOlderTreeIsAReplay) {
  const auto log = log_of(9);
  EXPECT_EQ(books::check_bundle(log.bundle(5, 9), log.mirror(9), log.key().verifier()).kind,
            Kind::replay);
  EXPECT_EQ(books::check_bundle(log.bundle(0, 4), log.mirror(9), log.key().verifier()).kind,
            Kind::replay);
}

TEST(LogExchange, AnotherTreeOfASizeSeenIsAFork) {
  const auto log = log_of(9);
  auto other = log;
  other.leaves[2] = leaf(2, 'b');  // the same log key signs a rewritten history
  auto v = books::check_bundle(other.bundle(0, 9), log.mirror(9), log.key().verifier());
  EXPECT_EQ(v.kind, Kind::fork);
  v = books::check_bundle(other.bundle(0, 6), log.mirror(9), log.key().verifier());
  EXPECT_EQ(v.kind, Kind::fork);
  // A larger tree whose proof from the tree this site saw fails.
  auto longer = other;
  longer.leaves.push_back(leaf(9));
  v = books::check_bundle(longer.bundle(5, 10), log.mirror(5), log.key().verifier());
  EXPECT_EQ(v.kind, Kind::fork) << v.reason;
  // A re-sent leaf this site holds, changed.
  v = books::check_bundle(longer.bundle(0, 10), log.mirror(5), log.key().verifier());
  EXPECT_EQ(v.kind, Kind::fork) << v.reason;
}

TEST(LogExchange, BadBundlesAreNamed) {
  const auto log = log_of(9);
  // Not signed by the log's key.
  auto b = log.bundle(0, 9);
  const auto stranger = tlog::NoteSigner::generate(kOrigin);
  EXPECT_EQ(books::check_bundle(b, {}, stranger.verifier()).kind, Kind::bad);
  // A receipt missing, one added, one altered.
  b.leaves.pop_back();
  EXPECT_EQ(books::check_bundle(b, {}, log.key().verifier()).kind, Kind::bad);
  b = log.bundle(0, 9);
  b.leaves.push_back(leaf(99));
  EXPECT_EQ(books::check_bundle(b, {}, log.key().verifier()).kind, Kind::bad);
  b = log.bundle(0, 9);
  b.leaves[8] = leaf(8, 'x');
  auto v = books::check_bundle(b, {}, log.key().verifier());
  EXPECT_EQ(v.kind, Kind::bad);
  EXPECT_NE(v.reason.find("missing from the bundle or altered"), std::string::npos);
  // A gap after what the site holds.
  v = books::check_bundle(log.bundle(6, 9), log.mirror(4), log.key().verifier());
  EXPECT_EQ(v.kind, Kind::bad);
  EXPECT_NE(v.reason.find("--from 4"), std::string::npos);
  // The origin of the bundle and of its checkpoint differ.
  b = log.bundle(0, 9);
  b.origin = "demo/home/receipts";
  EXPECT_EQ(books::check_bundle(b, {}, log.key().verifier()).kind, Kind::bad);
}

TEST(Bundle, RoundTripsAndRefusesEveryTruncation) {
  const auto log = log_of(6);
  auto b = log.bundle(2, 6);
  b.evidence.push_back({3, {}, {1, 2, 3}});
  b.evidence.push_back({5, {}, std::vector<std::uint8_t>(700, 9)});
  b.evidence[1].salt[31] = 7;
  const auto bytes = books::encode_bundle(b);
  const auto back = books::decode_bundle(bytes);
  EXPECT_EQ(back.pool, b.pool);
  EXPECT_EQ(back.origin, b.origin);
  EXPECT_EQ(back.from_size, 2u);
  EXPECT_EQ(back.checkpoint_note, b.checkpoint_note);
  EXPECT_EQ(back.consistency, b.consistency);
  EXPECT_EQ(back.leaves, b.leaves);
  ASSERT_EQ(back.evidence.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(back.evidence[i].leaf, b.evidence[i].leaf);
    EXPECT_EQ(back.evidence[i].salt, b.evidence[i].salt);
    EXPECT_EQ(back.evidence[i].signed_record, b.evidence[i].signed_record);
  }
  for (std::size_t n = 0; n < bytes.size(); ++n)
    EXPECT_THROW(books::decode_bundle(std::span(bytes).first(n)), books::BundleError) << n;
  auto longer = bytes;
  longer.push_back(0);
  EXPECT_THROW(books::decode_bundle(longer), books::BundleError);
  auto version = bytes;
  version[13] = 9;
  EXPECT_THROW(books::decode_bundle(version), books::BundleError);
  // More evidence than receipts is refused before anything is read for it.
  auto lying = b;
  lying.evidence.clear();
  auto lie = books::encode_bundle(lying);
  lie[lie.size() - 4] = 5;  // the evidence count (4 receipts in the bundle)
  EXPECT_THROW(books::decode_bundle(lie), books::BundleError);
}

TEST(Bundle, ReadsVersionOneWithoutEvidence) {
  // Version 1 ends after the openings: what sites that have not upgraded send.
  const auto log = log_of(6);
  const auto b = log.bundle(0, 6);
  auto bytes = books::encode_bundle(b);
  bytes.resize(bytes.size() - 4);  // no evidence section
  bytes[13] = 1;                   // u16 version after the 13-byte magic
  bytes[14] = 0;
  const auto back = books::decode_bundle(bytes);
  EXPECT_EQ(back.leaves, b.leaves);
  EXPECT_TRUE(back.evidence.empty());
}
