// Usage records: canonical encoding, strict decoding, signatures, key files,
// durable writes.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "basin/common/durable_file.hpp"
#include "basin/records/signing.hpp"
#include "basin/records/usage_record.hpp"

using namespace basin::records;
using namespace basin::common;
namespace fs = std::filesystem;

namespace {

UsageRecord sample() {
  UsageRecord r;
  r.cluster = "basin-local";
  r.job_id = 42;
  r.step_id = kBatchStep;
  r.restart_count = 1;
  r.submit_time = 1795340000;
  r.start_time = 1795340010;
  r.end_time = 1795340070;
  r.uid = 1000;
  r.account = "climate-lab";
  r.node = "vol1";
  r.site = "home";
  r.tier = "volunteer";
  r.requested_tier = "any";
  r.alloc_cores = 2;
  r.alloc_mem_mb = 512;
  r.alloc_gpus = 2;
  r.cpu_user_us = 119000000;
  r.cpu_system_us = 1000000;
  r.max_rss_kb = 20480;
  r.task_exit_status = {0, 256};
  r.replica_group = "basin-local:1000:rep";
  r.replicas = 3;
  r.step_state = "failed:1";
  r.result_digest = "sha256:" + std::string(64, 'a');
  return r;
}

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/basin-records-test.XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
};

KeyRing ring_with(const std::string& node, const NodeKey& key) {
  KeyRing ring;
  ring.add(node, key.public_key());
  return ring;
}

}  // namespace

TEST(UsageRecord, RoundTripsEveryField) {
  const auto r = sample();
  EXPECT_EQ(decode(encode(r)), r);
}

TEST(UsageRecord, EncodingIsCanonical) {
  // Same record, same bytes; any field change, different bytes.
  const auto a = encode(sample());
  EXPECT_EQ(a, encode(decode(a)));
  auto b = sample();
  b.cpu_user_us += 1;
  EXPECT_NE(encode(b), a);
}

TEST(UsageRecord, RefusesEveryTruncation) {
  const auto bytes = encode(sample());
  for (std::size_t n = 0; n < bytes.size(); ++n)
    EXPECT_THROW(decode(std::span(bytes.data(), n)), RecordError) << "length " << n;
}

TEST(UsageRecord, RefusesTrailingBytesAndBadVersions) {
  auto bytes = encode(sample());
  bytes.push_back(0);
  EXPECT_THROW(decode(bytes), RecordError);
  bytes.pop_back();
  for (std::uint8_t v : {0, 3, 255}) {
    bytes[0] = v;
    EXPECT_THROW(decode(bytes), RecordError) << "version " << int(v);
  }
}

// sample() as encoded by Basin before GPUs were recorded (version 1, written
// by the version 1 encoder of main), without alloc_gpus.
constexpr const char* kVersion1Sample =
    "01000b00626173696e2d6c6f63616c2a000000fbffffff000000000000000001000000e0b6026b00000000eab6"
    "026b0000000026b7026b00000000e80300000b00636c696d6174652d6c61620400766f6c310400686f6d650900"
    "766f6c756e746565720300616e79020000000002000000000000c0cb17070000000040420f0000000000005000"
    "00000000000200000000000000000100001400626173696e2d6c6f63616c3a313030303a726570030800666169"
    "6c65643a3147007368613235363a61616161616161616161616161616161616161616161616161616161616161"
    "616161616161616161616161616161616161616161616161616161616161616161";

std::vector<std::uint8_t> from_hex(std::string_view hex) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<std::uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

TEST(UsageRecord, Version1RecordsStillDecodeAndReencodeByteForByte) {
  const auto v1 = from_hex(kVersion1Sample);
  const auto r = decode(v1);
  EXPECT_EQ(r.version, 1);
  EXPECT_EQ(r.alloc_gpus, 0u);
  auto expected = sample();
  expected.version = 1;
  expected.alloc_gpus = 0;
  EXPECT_EQ(r, expected);
  EXPECT_EQ(encode(r), v1);  // so version 1 signatures and hashes still verify
  // A version 1 record signed before the change still verifies.
  const auto key = NodeKey::generate();
  const auto file = sign_record(r, key);
  EXPECT_EQ(verify_signed_record(file, ring_with("vol1", key)), r);
  // The same record as version 2 is 4 bytes longer (u32 alloc_gpus).
  auto v2 = r;
  v2.version = kRecordVersion;
  EXPECT_EQ(encode(v2).size(), v1.size() + 4);
  EXPECT_EQ(decode(encode(v2)), v2);
}

TEST(UsageRecord, GpuCountIsBounded) {
  auto r = sample();
  r.alloc_gpus = kMaxGpus;
  EXPECT_EQ(decode(encode(r)).alloc_gpus, kMaxGpus);
  r.alloc_gpus = kMaxGpus + 1;
  EXPECT_THROW(encode(r), RecordError);
  // A version 1 record cannot carry GPUs.
  r.alloc_gpus = 1;
  r.version = 1;
  EXPECT_THROW(encode(r), RecordError);
  // Patch alloc_gpus past the bound in valid version 2 bytes: refused.
  auto a = sample();
  a.alloc_gpus = 0;
  auto b = a;
  b.alloc_gpus = 1;
  const auto ea = encode(a), eb = encode(b);
  std::size_t off = 0;
  while (ea[off] == eb[off]) ++off;
  auto bad = eb;
  bad[off] = static_cast<std::uint8_t>(kMaxGpus + 1);
  EXPECT_THROW(decode(bad), RecordError);
  bad[off] = 0;
  bad[off + 3] = 0x80;
  EXPECT_THROW(decode(bad), RecordError);
}

TEST(UsageRecord, RefusesHugeCountsWithoutAllocating) {
  auto r = sample();
  r.task_exit_status.clear();
  auto bytes = encode(r);
  // Find the task count (0) just before the replica group: patch it to 2^31.
  const auto good = encode(r);
  auto r2 = r;
  r2.task_exit_status = {7};
  const auto with_one = encode(r2);
  std::size_t off = 0;
  while (good[off] == with_one[off]) ++off;
  bytes[off + 3] = 0x80;
  EXPECT_THROW(decode(bytes), RecordError);
}

TEST(UsageRecord, RefusesOversizedStringsOnEncode) {
  auto r = sample();
  r.account = std::string(kMaxString + 1, 'x');
  EXPECT_THROW(encode(r), RecordError);
  r.account = std::string("a\0b", 3);
  EXPECT_THROW(encode(r), RecordError);
}

TEST(UsageRecord, RandomMutationsNeverCrashTheParser) {
  // A replay fuzzer: random byte flips, truncations and insertions of a
  // valid record must either decode or throw RecordError, nothing else.
  const auto base = sign_record(sample(), NodeKey::generate());
  std::mt19937 rng(12345);
  for (int i = 0; i < 20000; ++i) {
    auto m = base;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      switch (rng() % 3) {
        case 0:
          m[rng() % m.size()] ^= static_cast<std::uint8_t>(1 + rng() % 255);
          break;
        case 1:
          m.resize(rng() % m.size());
          break;
        default:
          m.insert(m.begin() + rng() % (m.size() + 1), static_cast<std::uint8_t>(rng()));
      }
      if (m.empty()) m.push_back(0);
    }
    try {
      (void)parse_signed_record(m);
    } catch (const RecordError&) {
    }
  }
}

TEST(UsageRecord, IdentityNamesClusterJobStepRunAndNode) {
  EXPECT_EQ(identity(sample()), "basin-local/42.batch/r1/vol1");
}

TEST(Signing, SignedRecordVerifiesWithItsNodesKey) {
  const auto key = NodeKey::generate();
  const auto file = sign_record(sample(), key);
  EXPECT_EQ(verify_signed_record(file, ring_with("vol1", key)), sample());
}

TEST(Signing, EveryFlippedByteIsRefused) {
  const auto key = NodeKey::generate();
  const auto ring = ring_with("vol1", key);
  const auto file = sign_record(sample(), key);
  for (std::size_t i = 0; i < file.size(); ++i) {
    auto bad = file;
    bad[i] ^= 0x01;
    EXPECT_THROW(verify_signed_record(bad, ring), RecordError) << "byte " << i;
  }
}

TEST(Signing, ANodeCannotSignForAnotherNode) {
  const auto vol1 = NodeKey::generate(), vol2 = NodeKey::generate();
  KeyRing ring;
  ring.add("vol1", vol1.public_key());
  ring.add("vol2", vol2.public_key());
  auto forged = sample();  // claims node vol1, signed by vol2's key
  EXPECT_THROW(verify_signed_record(sign_record(forged, vol2), ring), RecordError);
  forged.node = "inst9";  // a node the pool does not know
  EXPECT_THROW(verify_signed_record(sign_record(forged, vol2), ring), RecordError);
}

TEST(Keys, SecretKeyFileRoundTripsAndMustBeRootOnly) {
  TempDir dir;
  const auto key = NodeKey::generate();
  const auto text = key.secret_file_text();
  write_file_durably(dir.path, "node.key",
                     std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()),
                     0600);
  const auto path = (dir.path / "node.key").string();
  EXPECT_EQ(NodeKey::load(path, geteuid() == 0).public_key(), key.public_key());
  chmod(path.c_str(), 0644);
  if (geteuid() == 0) {
    EXPECT_THROW(NodeKey::load(path, true), RecordError);
  }
  // A symlink to a key is not followed.
  fs::create_symlink(path, dir.path / "link.key");
  EXPECT_THROW(NodeKey::load((dir.path / "link.key").string(), false), RecordError);
}

TEST(Keys, KeyRingParsingIsStrict) {
  const std::string hex(64, 'a');
  EXPECT_EQ(KeyRing::parse("# nodes\nvol1 ed25519:" + hex + "\n\n", "k").size(), 1u);
  EXPECT_THROW(KeyRing::parse("vol1 ed25519:abcd\n", "k"), RecordError);
  EXPECT_THROW(KeyRing::parse("vol1 rsa:" + hex + "\n", "k"), RecordError);
  EXPECT_THROW(KeyRing::parse("vol1 ed25519:" + hex + " extra\n", "k"), RecordError);
  EXPECT_THROW(KeyRing::parse("vol1 ed25519:" + hex + "\nvol1 ed25519:" + hex + "\n", "k"),
               RecordError);
}
