// Witness cosignatures (C2SP tlog-cosignature v1) against a vector made by an
// independent implementation (Python `cryptography` 48, Ed25519 seed 00..1f):
//   kid = sha256(name + "\n" + b"\x04" + pub)[:4]
//   line = "— " + name + " " + b64(kid + ts.to_bytes(8, "big") +
//          sign(f"cosignature/v1\ntime {ts}\n{body}"))
#include <gtest/gtest.h>

#include <numeric>

#include "basin/tlog/cosignature.hpp"

using namespace basin::tlog;

namespace {
const std::string kName = "basin-witness/demo/home";
const std::string kBody = "demo/campus/receipts\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
const std::uint64_t kTime = 1796000000;
const std::string kLine =
    "\xe2\x80\x94 basin-witness/demo/home "
    "jZkDpgAAAABrDMkAQpMl9QIZ9hurikfQEAVRk7Mu7/NGW0p1rv+CAlP8Ib63gsevMDfExNEKYsQ7hqSY7fKKUmmQq0U+"
    "ZkyFoukUBA==\n";

std::array<std::uint8_t, 32> seed() {
  std::array<std::uint8_t, 32> s{};
  std::iota(s.begin(), s.end(), std::uint8_t{0});
  return s;
}

// A checkpoint note as the log signs it (its own signature line is opaque to
// the witness: another name).
std::string log_note() {
  const auto log = NoteSigner::generate("demo/campus/receipts");
  return sign_note(kBody, log);
}
}  // namespace

TEST(Cosignature, ReproducesTheIndependentVectorByteForByte) {
  const Cosigner w(kName, seed());
  EXPECT_EQ(w.key().key_id(), 0x8d9903a6u);
  EXPECT_EQ(w.cosign(kBody, kTime), kLine);
}

TEST(Cosignature, VerifiesOnTheLogsNoteAndNamesForgeries) {
  const Cosigner w(kName, seed());
  const auto note = add_cosignature(log_note(), w.cosign(kBody, kTime));
  EXPECT_EQ(verify_cosignature(note, w.key()), kTime);
  // Adding the same witness twice keeps one line.
  EXPECT_EQ(add_cosignature(note, w.cosign(kBody, kTime + 5)), note);

  // Another witness has not cosigned.
  const Cosigner other("basin-witness/demo/lab", seed());
  EXPECT_THROW(verify_cosignature(note, other.key()), NoteError);

  // A cosignature moved onto another checkpoint (bigger tree) fails.
  auto moved = note;
  moved.replace(moved.find("\n3\n"), 3, "\n4\n");
  EXPECT_THROW(verify_cosignature(moved, w.key()), NoteError);

  // The same name with another key is not this witness's line.
  std::array<std::uint8_t, 32> s2{};
  s2[0] = 9;
  const Cosigner impostor(kName, s2);
  const auto forged = add_cosignature(log_note(), impostor.cosign(kBody, kTime));
  EXPECT_THROW(verify_cosignature(forged, w.key()), NoteError);
}

TEST(Cosignature, RefusesMalformedInput) {
  const Cosigner w(kName, seed());
  EXPECT_THROW(w.cosign("no newline", kTime), NoteError);
  EXPECT_THROW(add_cosignature(log_note(), "not a line\n"), NoteError);
  EXPECT_THROW(add_cosignature(log_note(), kLine + kLine), NoteError);
  EXPECT_THROW(verify_cosignature(kBody, w.key()), NoteError);  // no signatures at all
}
