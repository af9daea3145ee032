// basin log: RFC 6962 / 9162 Merkle tree computations for auditors and
// interoperability tests, over raw leaves given as hex lines.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>

#include "basin/common/durable_file.hpp"
#include "basin/tlog/leaf_input.hpp"
#include "basin/tlog/merkle.hpp"
#include "basin/tlog/signed_note.hpp"
#include "commands.hpp"

namespace basin::cli {
namespace {

// Exit statuses: 0 ok, 1 a proof does not verify, 2 bad input.
constexpr int kBadInput = 2;

std::string read_input(const std::string& path) {
  if (path.empty() || path == "-") {
    return std::string(std::istreambuf_iterator<char>(std::cin), {});
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw tlog::InputError("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

tlog::Hash hash_option(const std::string& name, const std::string& hex) {
  tlog::Hash h;
  if (!tlog::parse_hash(hex, h))
    throw tlog::InputError("--" + name + " must be 64 hex digits (a SHA-256 hash)");
  return h;
}

// Runs a verb, turning bad input into a message and exit status 2.
template <typename F>
void run(CommandContext& ctx, F&& f) {
  try {
    ctx.exit_code = f();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "basin log: %s\n", e.what());
    ctx.exit_code = kBadInput;
  }
}

void print_proof(const std::vector<tlog::Hash>& proof) {
  for (const auto& h : proof) std::printf("%s\n", tlog::to_hex(h).c_str());
}

// Signed tree heads: C2SP checkpoints in signed notes.
void add_checkpoint_verbs(CLI::App& log, CommandContext& ctx) {
  auto* cp = log.add_subcommand(
      "checkpoint", "Signed tree heads in the C2SP tlog-checkpoint / signed-note format");
  cp->require_subcommand(1);
  auto name = std::make_shared<std::string>();
  auto secret = std::make_shared<std::string>();
  auto origin = std::make_shared<std::string>();
  auto file = std::make_shared<std::string>();
  auto vkey = std::make_shared<std::string>();
  auto leaves_file = std::make_shared<std::string>();

  auto* keygen =
      cp->add_subcommand("keygen",
                         "Generate a log signing key: the secret signer key goes to --secret (mode "
                         "0600), the public verifier key is printed");
  keygen->add_option("--name", *name, "Key name, e.g. the log's origin")->required();
  keygen->add_option("--secret", *secret, "Where to write the signer key")->required();
  keygen->callback([=, &ctx] {
    run(ctx, [&] {
      if (std::ifstream(*secret)) throw tlog::InputError(*secret + " exists; not replacing a key");
      const auto signer = tlog::NoteSigner::generate(*name);
      const auto text = signer.text() + "\n";
      const auto slash = secret->rfind('/');
      common::write_file_durably(
          slash == std::string::npos ? "." : secret->substr(0, slash),
          slash == std::string::npos ? *secret : secret->substr(slash + 1),
          std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()), 0600);
      std::printf("%s\n", signer.verifier().text().c_str());
      return 0;
    });
  });

  auto* sign = cp->add_subcommand("sign", "Print the signed checkpoint of a tree of leaves");
  sign->add_option("--key", *secret, "Signer key file (from checkpoint keygen)")->required();
  sign->add_option("--origin", *origin, "The log's origin line")->required();
  sign->add_option("FILE", *file, "Leaves as hex lines (default: standard input)");
  sign->callback([=, &ctx] {
    run(ctx, [&] {
      auto key = read_input(*secret);
      while (!key.empty() && key.back() == '\n') key.pop_back();
      const auto signer = tlog::NoteSigner::parse(key);
      const auto leaves = tlog::hash_leaves(tlog::parse_hex_leaves(read_input(*file)));
      const tlog::Checkpoint c{*origin, leaves.size(), tlog::root(leaves)};
      std::fputs(tlog::sign_note(tlog::checkpoint_text(c), signer).c_str(), stdout);
      return 0;
    });
  });

  auto* verify = cp->add_subcommand(
      "verify", "Check a checkpoint's signature (and, with --leaves, that it commits to them)");
  verify->add_option("--key", *vkey, "Verifier key string name+hash+base64")->required();
  verify->add_option("--leaves", *leaves_file, "Leaves as hex lines to recompute the root");
  verify->add_option("CHECKPOINT", *file, "Signed checkpoint (default: standard input)");
  verify->callback([=, &ctx] {
    run(ctx, [&] {
      const auto text = tlog::open_note(read_input(*file), tlog::parse_verifier_key(*vkey));
      const auto c = tlog::parse_checkpoint(text);
      std::printf("origin %s\nsize %llu\nroot %s\nsignature ok\n", c.origin.c_str(),
                  static_cast<unsigned long long>(c.size), tlog::to_hex(c.root).c_str());
      if (!leaves_file->empty()) {
        const auto leaves = tlog::hash_leaves(tlog::parse_hex_leaves(read_input(*leaves_file)));
        if (leaves.size() != c.size || tlog::root(leaves) != c.root) {
          std::printf("the leaves do NOT match the checkpoint\n");
          return 1;
        }
        std::printf("leaves match the checkpoint\n");
      }
      return 0;
    });
  });
}

void add_log(CLI::App& app, CommandContext& ctx) {
  auto* log = app.add_subcommand(
      "log",
      "RFC 6962/9162 Merkle tree roots and proofs over raw leaves (hex lines, one leaf per line,\n"
      "an empty line being the empty leaf; from FILE or standard input)");
  log->require_subcommand(1);
  log->footer(
      "Exit status: 0 success, 1 a proof does not verify, 2 bad input.\n"
      "Example: printf '00\\n10\\n' | basin log root");

  auto file = std::make_shared<std::string>();
  auto index = std::make_shared<std::uint64_t>(0);
  auto size = std::make_shared<std::uint64_t>(0);
  auto old_size = std::make_shared<std::uint64_t>(0);
  auto leaf = std::make_shared<std::string>();
  auto root_hex = std::make_shared<std::string>();
  auto old_root_hex = std::make_shared<std::string>();

  auto* root = log->add_subcommand("root", "Print the tree's root hash in hex");
  root->add_option("FILE", *file, "Leaves as hex lines (default: standard input)");
  root->callback([=, &ctx] {
    run(ctx, [&] {
      const auto leaves = tlog::hash_leaves(tlog::parse_hex_leaves(read_input(*file)));
      std::printf("%s\n", tlog::to_hex(tlog::root(leaves)).c_str());
      return 0;
    });
  });

  auto* lh = log->add_subcommand("leaf-hash", "Print the leaf hash of each hex line");
  lh->add_option("FILE", *file, "Leaves as hex lines (default: standard input)");
  lh->callback([=, &ctx] {
    run(ctx, [&] {
      for (const auto& h : tlog::hash_leaves(tlog::parse_hex_leaves(read_input(*file))))
        std::printf("%s\n", tlog::to_hex(h).c_str());
      return 0;
    });
  });

  auto* inc = log->add_subcommand("inclusion", "Print the inclusion proof of leaf --index");
  inc->add_option("--index", *index, "Leaf index, from 0")->required();
  inc->add_option("FILE", *file, "Leaves as hex lines (default: standard input)");
  inc->callback([=, &ctx] {
    run(ctx, [&] {
      const auto leaves = tlog::hash_leaves(tlog::parse_hex_leaves(read_input(*file)));
      print_proof(tlog::inclusion_proof(leaves, *index));
      return 0;
    });
  });

  auto* con = log->add_subcommand(
      "consistency", "Print the consistency proof from the first --old leaves to all of them");
  con->add_option("--old", *old_size, "Size of the older tree (1..size)")->required();
  con->add_option("FILE", *file, "Leaves as hex lines (default: standard input)");
  con->callback([=, &ctx] {
    run(ctx, [&] {
      const auto leaves = tlog::hash_leaves(tlog::parse_hex_leaves(read_input(*file)));
      print_proof(tlog::consistency_proof(leaves, *old_size));
      return 0;
    });
  });

  auto* vi = log->add_subcommand("verify-inclusion",
                                 "Check an inclusion proof (hex lines) as RFC 9162 2.1.3.2");
  vi->add_option("--index", *index, "Leaf index")->required();
  vi->add_option("--size", *size, "Tree size")->required();
  vi->add_option("--leaf-hash", *leaf, "The leaf's hash (see `basin log leaf-hash`)")->required();
  vi->add_option("--root", *root_hex, "The tree's root hash")->required();
  vi->add_option("PROOF", *file, "Proof file (default: standard input)");
  vi->callback([=, &ctx] {
    run(ctx, [&] {
      const auto proof = tlog::parse_proof(read_input(*file));
      const bool ok = tlog::verify_inclusion(*index, *size, hash_option("leaf-hash", *leaf), proof,
                                             hash_option("root", *root_hex));
      std::printf("%s\n", ok ? "inclusion proof verifies" : "inclusion proof does NOT verify");
      return ok ? 0 : 1;
    });
  });

  auto* vc = log->add_subcommand("verify-consistency",
                                 "Check a consistency proof (hex lines) as RFC 9162 2.1.4.2");
  vc->add_option("--old", *old_size, "Size of the older tree")->required();
  vc->add_option("--size", *size, "Size of the newer tree")->required();
  vc->add_option("--old-root", *old_root_hex, "Root hash of the older tree")->required();
  vc->add_option("--root", *root_hex, "Root hash of the newer tree")->required();
  vc->add_option("PROOF", *file, "Proof file (default: standard input)");
  vc->callback([=, &ctx] {
    run(ctx, [&] {
      const auto proof = tlog::parse_proof(read_input(*file));
      const bool ok =
          tlog::verify_consistency(*old_size, *size, hash_option("old-root", *old_root_hex),
                                   hash_option("root", *root_hex), proof);
      std::printf("%s\n", ok ? "consistency proof verifies" : "consistency proof does NOT verify");
      return ok ? 0 : 1;
    });
  });

  add_checkpoint_verbs(*log, ctx);
}

}  // namespace
}  // namespace basin::cli

BASIN_COMMAND_GROUP(log, 60, basin::cli::add_log);
