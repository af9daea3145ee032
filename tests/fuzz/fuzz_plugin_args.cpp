// What the SPANK plugin parses as root inside slurmd and slurmstepd: the
// users' --basin-* option values, the result digest file a job leaves
// behind, and the node's plugstack.conf arguments. The first byte picks the
// parser, the rest is its text (plugstack arguments one per line). Each
// accepted value must keep the parser's promise: a checkpoint directory
// absolute, printable and without "..", replicas 1-5, a tier that names
// itself, a digest without its newline that parses to itself, a node
// configuration of valid names and paths; and no message echoes a control
// character into a terminal or a log.
#include <string>
#include <string_view>
#include <vector>

#include "basin/plugin/node_config.hpp"
#include "basin/plugin/options.hpp"
#include "basin/plugin/step_logic.hpp"
#include "fuzz_target.hpp"

namespace {

enum Parser : std::uint8_t { tier, replicas, checkpoint, account, digest, node_config, kParsers };

std::vector<std::uint8_t> seed(Parser p, const std::string& text) {
  return fuzz_bytes(std::string(1, static_cast<char>(p)) + text);
}

bool printable_path(const std::string& v) {
  if (v.empty() || v[0] != '/' || v.find("/../") != std::string::npos || v.ends_with("/.."))
    return false;
  for (char c : v)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  return true;
}

bool no_control_characters(std::string_view msg) {
  for (char c : msg)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  return true;
}

// Restated here, not shared with the parser: the fuzz target's own reading
// of the documented rule (1-64 characters from a-z A-Z 0-9 . _ -).
bool valid_name(const std::string& v) {
  static const std::string kAllowed =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
  return !v.empty() && v.size() <= 64 && v.find_first_not_of(kAllowed) == std::string::npos;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i)
    if (i == text.size() || text[i] == '\n') {
      out.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  return out;
}

}  // namespace

std::vector<std::vector<std::uint8_t>> basin_fuzz_seeds() {
  return {seed(tier, "volunteer"),
          seed(tier, "any"),
          seed(replicas, "3"),
          seed(checkpoint, "/scratch/alice/run-1"),
          seed(checkpoint, "(null)"),
          seed(checkpoint, "/scratch/../etc"),
          seed(account, "physics"),
          seed(digest,
               "blake2b-256:4f0f745c00112233445566778899aabbccddeeff00112233445566778899aabb\n"),
          seed(digest, "portable-blake2b-256:00112233445566778899aabbccddeeff"),
          seed(node_config,
               "tier=volunteer\nsite=home\ncluster=mycluster\nnode=vol1\nnode_key=/etc/basin/"
               "node.key\nspool=/var/spool/basin\nscratch=/var/tmp/basin\ndefault_tier=any\n"
               "records=yes\ngpus=2"),
          seed(node_config, "tier=institutional\nsite=campus\ncluster=c\nnode=n1\nrecords=no")};
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto parser = static_cast<Parser>(data[0] % kParsers);
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  basin::plugin::JobOptions opts;
  switch (parser) {
    case tier: {
      const auto err = basin::plugin::apply_tier(text, opts);
      if (err) {
        BASIN_FUZZ_CHECK(no_control_characters(*err) && !opts.tier);
      } else {
        BASIN_FUZZ_CHECK(opts.tier && basin::plugin::request_name(*opts.tier) == text);
      }
      break;
    }
    case replicas: {
      const auto err = basin::plugin::apply_replicas(text, opts);
      if (err)
        BASIN_FUZZ_CHECK(no_control_characters(*err) && opts.replicas == 1);
      else
        BASIN_FUZZ_CHECK(opts.replicas >= 1 && opts.replicas <= 5 &&
                         text == std::to_string(opts.replicas));
      break;
    }
    case checkpoint: {
      const auto err = basin::plugin::apply_checkpoint(text, opts);
      if (err) {
        BASIN_FUZZ_CHECK(no_control_characters(*err) && !opts.checkpoint);
      } else {
        BASIN_FUZZ_CHECK(opts.checkpoint);
        if (opts.checkpoint_dir)
          BASIN_FUZZ_CHECK(*opts.checkpoint_dir == text && printable_path(text));
        else
          BASIN_FUZZ_CHECK(text.empty() || text == "(null)");
      }
      break;
    }
    case account: {
      const auto err = basin::plugin::refuse_account_option(text, opts);
      BASIN_FUZZ_CHECK(err && no_control_characters(*err));
      break;
    }
    case digest: {
      const auto d = basin::plugin::parse_result_digest(text);
      if (d) {
        BASIN_FUZZ_CHECK(d->find('\n') == std::string::npos && no_control_characters(*d));
        BASIN_FUZZ_CHECK(*d == text || *d + "\n" == text);
        BASIN_FUZZ_CHECK(basin::plugin::parse_result_digest(*d) == d);
      }
      break;
    }
    case node_config: {
      const auto r = basin::plugin::parse_node_config(lines(text));
      if (r.errors.empty()) {
        const auto& c = r.config;
        for (const std::string* name : {&c.site, &c.cluster, &c.node})
          BASIN_FUZZ_CHECK(name->empty() || valid_name(*name));
        for (const std::string* path : {&c.node_key, &c.spool, &c.scratch})
          BASIN_FUZZ_CHECK(path->empty() || printable_path(*path));
        BASIN_FUZZ_CHECK(c.gpus <= 64);
        // A node that writes records needs its key and spool; every node
        // its tier, site, cluster and node name.
        if (r.complete_for_node())
          BASIN_FUZZ_CHECK(c.tier && !c.site.empty() && !c.cluster.empty() && !c.node.empty() &&
                           (!c.records || (!c.node_key.empty() && !c.spool.empty())));
      }
      break;
    }
    case kParsers:
      break;
  }
  return 0;
}
