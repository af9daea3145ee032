// basin records: look at and check the usage records that nodes write.
#include <sys/stat.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <memory>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "basin/common/durable_file.hpp"
#include "basin/records/durable_file.hpp"
#include "basin/records/record_checks.hpp"
#include "basin/records/signing.hpp"
#include "commands.hpp"

namespace basin::cli {
namespace {

using records::UsageRecord;

std::string fmt_time(std::int64_t t) {
  if (t == 0) return "-";
  char buf[32];
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Every string a node wrote goes through records::printable: JSON output
// must stay valid (nlohmann refuses invalid UTF-8) and a terminal must not
// obey an ESC or CR in a job name.
nlohmann::json to_json(const UsageRecord& r) {
  const auto p = [](const std::string& s) { return records::printable(s); };
  return {{"version", r.version},
          {"identity", p(records::identity(r))},
          {"cluster", p(r.cluster)},
          {"job_id", r.job_id},
          {"step", records::step_name(r.step_id)},
          {"array_job_id", r.array_job_id},
          {"array_task_id", r.array_task_id},
          {"restart_count", r.restart_count},
          {"submit_time", r.submit_time},
          {"start_time", r.start_time},
          {"end_time", r.end_time},
          {"uid", r.uid},
          {"account", p(r.account)},
          {"node", p(r.node)},
          {"site", p(r.site)},
          {"tier", p(r.tier)},
          {"requested_tier", p(r.requested_tier)},
          {"alloc_cores", r.alloc_cores},
          {"alloc_mem_mb", r.alloc_mem_mb},
          {"alloc_gpus", r.alloc_gpus},
          {"cpu_user_us", r.cpu_user_us},
          {"cpu_system_us", r.cpu_system_us},
          {"max_rss_kb", r.max_rss_kb},
          {"task_exit_status", r.task_exit_status},
          {"replica_group", p(r.replica_group)},
          {"replicas", r.replicas},
          {"step_state", p(r.step_state)},
          {"result_digest", p(r.result_digest)}};
}

UsageRecord read_record(const std::string& path, const records::KeyRing* keys) {
  const auto bytes = common::read_file(path, records::kMaxRecordFile);
  return keys ? records::verify_signed_record(bytes, *keys) : records::parse_signed_record(bytes);
}

void add_records(CLI::App& app, CommandContext& ctx) {
  auto* rec = app.add_subcommand(
      "records", "Show and verify the signed usage records that nodes write for every job step");
  rec->require_subcommand(1);

  struct ShowArgs {
    std::vector<std::string> paths;
    bool json = false;
  };
  auto show_args = std::make_shared<ShowArgs>();
  auto* show = rec->add_subcommand(
      "show", "Print records (a table, or --json); a directory means every *.basinrec in it");
  show->add_option("PATH", show_args->paths, "Record files or spool directories")->required();
  show->add_flag("--json", show_args->json, "One JSON object per record, one per line");
  show->footer("Example: basin records show /var/spool/basin/records --json");
  show->callback([show_args, &ctx] {
    if (!show_args->json)
      std::printf("%-34s %-13s %-12s %6s %5s %10s %9s %-18s %s\n", "IDENTITY", "ACCOUNT", "TIER",
                  "CORES", "GPUS", "CPU_S", "MEM_MB", "STATE", "END");
    for (const auto& path : records::list_record_files(show_args->paths)) {
      try {
        const auto r = read_record(path, nullptr);
        if (show_args->json) {
          auto j = to_json(r);
          j["path"] = records::printable(path);
          std::cout << j.dump() << "\n";
        } else {
          std::printf("%-34s %-13s %-12s %6u %5u %10.2f %9llu %-18s %s\n",
                      records::printable(records::identity(r)).c_str(),
                      records::printable(r.account).c_str(), records::printable(r.tier).c_str(),
                      r.alloc_cores, r.alloc_gpus, (r.cpu_user_us + r.cpu_system_us) / 1e6,
                      static_cast<unsigned long long>(r.alloc_mem_mb),
                      records::printable(r.step_state).c_str(), fmt_time(r.end_time).c_str());
        }
      } catch (const std::exception& e) {
        std::fprintf(stderr, "basin records show: %s: %s\n", records::printable(path).c_str(),
                     e.what());
        ctx.exit_code = 1;
      }
    }
  });

  struct VerifyArgs {
    std::vector<std::string> paths;
    std::string keys;
  };
  auto verify_args = std::make_shared<VerifyArgs>();
  auto* verify = rec->add_subcommand(
      "verify",
      "Check every record's format and its node's signature; exits 1 if any record is bad");
  verify->add_option("PATH", verify_args->paths, "Record files or spool directories")->required();
  verify
      ->add_option("--keys", verify_args->keys,
                   "Keys file: one '<node> ed25519:<hex>' line per node")
      ->required();
  verify->footer("Example: basin records verify /var/spool/basin --keys /etc/basin/node-keys");
  verify->callback([verify_args, &ctx] {
    const auto keys = records::KeyRing::load(verify_args->keys);
    std::size_t good = 0, bad = 0;
    for (const auto& path : records::list_record_files(verify_args->paths)) {
      try {
        const auto r = read_record(path, &keys);
        std::printf("ok   %s  %s\n", records::printable(path).c_str(),
                    records::printable(records::identity(r)).c_str());
        ++good;
      } catch (const std::exception& e) {
        std::printf("BAD  %s  %s\n", records::printable(path).c_str(), e.what());
        ++bad;
      }
    }
    std::printf("%zu records verified, %zu bad\n", good, bad);
    if (bad > 0 || good == 0) ctx.exit_code = 1;
  });

  struct KeygenArgs {
    std::string secret, public_file, node;
  };
  auto kg = std::make_shared<KeygenArgs>();
  auto* keygen = rec->add_subcommand(
      "keygen",
      "Generate a node's Ed25519 signing key: a root-only secret key file for the "
      "node's plugstack node_key=, and its public key line for the keys file");
  keygen->add_option("--secret", kg->secret, "Where to write the secret key (mode 0600)")
      ->required();
  keygen->add_option("--node", kg->node, "The node's Slurm name")->required();
  keygen->add_option("--public", kg->public_file,
                     "Append '<node> ed25519:<hex>' to this keys file (else print it)");
  keygen->footer(
      "Example: basin records keygen --node vol1 --secret /etc/basin/node.key "
      "--public node-keys");
  keygen->callback([kg] {
    const auto key = records::NodeKey::generate();
    const auto text = key.secret_file_text();
    const std::filesystem::path p(kg->secret);
    const auto dir = p.has_parent_path() ? p.parent_path().string() : ".";
    if (std::filesystem::exists(p))
      throw std::runtime_error(kg->secret + " exists; remove it first to replace the key");
    common::write_file_durably(
        dir, p.filename().string(),
        std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()), 0600);
    const auto line = kg->node + " " + records::public_key_text(key.public_key()) + "\n";
    if (kg->public_file.empty()) {
      std::fputs(line.c_str(), stdout);
    } else {
      std::FILE* f = std::fopen(kg->public_file.c_str(), "a");
      if (!f || std::fputs(line.c_str(), f) < 0 || std::fclose(f) != 0)
        throw std::runtime_error("cannot append to " + kg->public_file);
    }
    std::fprintf(stderr, "secret key for node %s written to %s (mode 0600)\n", kg->node.c_str(),
                 kg->secret.c_str());
  });
}

}  // namespace
}  // namespace basin::cli

BASIN_COMMAND_GROUP(records, 20, basin::cli::add_records);
