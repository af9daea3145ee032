// Signed notes and checkpoints against golang.org/x/mod/sumdb/note's
// published example (PeterNeumann key, note and signature).
#include <gtest/gtest.h>

#include "basin/tlog/signed_note.hpp"

using namespace basin::tlog;

namespace {
const std::string kSignerKey =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const std::string kVerifierKey =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const std::string kText =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
const std::string kNote =
    kText +
    "\n\xe2\x80\x94 PeterNeumann "
    "x08go/ZJkuBS9UG/"
    "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
}  // namespace

TEST(SignedNote, ReproducesTheGoReferenceNoteByteForByte) {
  const auto signer = NoteSigner::parse(kSignerKey);
  EXPECT_EQ(signer.verifier().text(), kVerifierKey);
  EXPECT_EQ(signer.text(), kSignerKey);
  EXPECT_EQ(sign_note(kText, signer), kNote);
}

TEST(SignedNote, OpensTheReferenceNoteAndRejectsTampering) {
  const auto v = parse_verifier_key(kVerifierKey);
  EXPECT_EQ(open_note(kNote, v), kText);
  auto bad = kNote;
  bad[3] ^= 0x20;  // "If you" -> "If You"-like change in the text
  EXPECT_THROW(open_note(bad, v), NoteError);
  const auto other = NoteSigner::generate("PeterNeumann");
  EXPECT_THROW(open_note(kNote, other.verifier()), NoteError);  // same name, other key
  EXPECT_THROW(open_note(kText, v), NoteError);                 // unsigned
}

TEST(SignedNote, KeysAreParsedStrictly) {
  EXPECT_THROW(
      parse_verifier_key("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
      NoteError);  // wrong hash
  EXPECT_THROW(
      parse_verifier_key("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
      NoteError);
  EXPECT_THROW(parse_verifier_key("PeterNeumann+c74f20a3+ARpc"), NoteError);
  EXPECT_THROW(
      NoteSigner::parse(
          "PRIVATE+KEY+PeterNeumann+00000000+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"),
      NoteError);
}

TEST(Checkpoint, RoundTripsAndSignsAsANote) {
  Checkpoint c;
  c.origin = "basin.example/campus/receipts";
  c.size = 8;
  ASSERT_TRUE(
      parse_hash("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328", c.root));
  const auto text = checkpoint_text(c);
  EXPECT_EQ(text,
            "basin.example/campus/receipts\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n");
  const auto back = parse_checkpoint(text);
  EXPECT_EQ(back.origin, c.origin);
  EXPECT_EQ(back.size, c.size);
  EXPECT_EQ(back.root, c.root);
  const auto signer = NoteSigner::generate("campus-log");
  EXPECT_EQ(open_note(sign_note(text, signer), signer.verifier()), text);
  EXPECT_THROW(parse_checkpoint("o\n08\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n"),
               NoteError);
  EXPECT_THROW(parse_checkpoint("o\n8\nXcna\n"), NoteError);
  EXPECT_THROW(parse_checkpoint("o\n8\n"), NoteError);
}

// Found by fuzz_replay_tlog_text under UBSan: an empty base64 field passed a
// null buffer to libsodium.
TEST(SignedNote, EmptyBase64FieldsAreRefused) {
  EXPECT_THROW(parse_verifier_key("log+01234567+"), NoteError);
  EXPECT_THROW(NoteSigner::parse("PRIVATE+KEY+log+01234567+"), NoteError);
  EXPECT_THROW(parse_checkpoint("origin\n1\n\n"), NoteError);
}
