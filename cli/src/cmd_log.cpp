// basin log: RFC 6962 / 9162 Merkle tree computations for auditors and
// interoperability tests, over raw leaves given as hex lines.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>

#include "basin/tlog/leaf_input.hpp"
#include "basin/tlog/merkle.hpp"
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
}

}  // namespace
}  // namespace basin::cli

BASIN_COMMAND_GROUP(log, 60, basin::cli::add_log);
