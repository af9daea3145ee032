#include "basin/plugin/step_logic.hpp"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include <algorithm>
#include <charconv>

#include "basin/common/job_contract.hpp"
#include "basin/records/record_checks.hpp"

namespace basin::plugin {

TierRequest requested_tier(const JobOptions& opts, const NodeConfig& node) {
  return opts.tier.value_or(node.default_tier);
}

std::optional<std::string> tier_refusal(TierRequest requested, Tier node_tier,
                                        const std::string& node) {
  if (requested == TierRequest::any || request_name(requested) == records::tier_name(node_tier))
    return std::nullopt;
  return "basin: this job asked for --basin-tier=" + std::string(request_name(requested)) +
         " but node " + node + " is a " + std::string(records::tier_name(node_tier)) +
         " node; the job was refused here. Submit with -C tier_" +
         std::string(request_name(requested)) + " so Slurm places it on a matching node, or use " +
         "--basin-tier=any.";
}

std::optional<std::uint32_t> count_cpu_list(const std::string& list) {
  if (list.empty()) return std::nullopt;
  std::uint32_t total = 0;
  std::size_t pos = 0;
  auto number = [&](std::uint32_t& out) {
    const char* b = list.data() + pos;
    const char* e = list.data() + list.size();
    auto [p, ec] = std::from_chars(b, e, out);
    if (ec != std::errc() || p == b) return false;
    pos += static_cast<std::size_t>(p - b);
    return true;
  };
  while (pos < list.size()) {
    std::uint32_t lo = 0, hi = 0;
    if (!number(lo)) return std::nullopt;
    hi = lo;
    if (pos < list.size() && list[pos] == '-') {
      ++pos;
      if (!number(hi) || hi < lo) return std::nullopt;
    }
    if (hi - lo >= 1u << 20) return std::nullopt;
    total += hi - lo + 1;
    if (pos < list.size()) {
      if (list[pos] != ',') return std::nullopt;
      ++pos;
      if (pos == list.size()) return std::nullopt;
    }
  }
  return total;
}

std::string step_state(const StepUsage& usage) {
  if (usage.refused) return "refused";
  for (int s : usage.task_exit_status)
    if (WIFSIGNALED(s)) {
      const char* abbrev = sigabbrev_np(WTERMSIG(s));
      return std::string("killed:SIG") + (abbrev ? abbrev : std::to_string(WTERMSIG(s)).c_str());
    }
  for (int s : usage.task_exit_status)
    if (WIFEXITED(s) && WEXITSTATUS(s) != 0) return "failed:" + std::to_string(WEXITSTATUS(s));
  return "completed";
}

std::string claimed_account(const StepFacts& facts) {
  if (!facts.slurm_account.empty()) return facts.slurm_account;
  if (!facts.user_name.empty()) return facts.user_name;
  return "uid" + std::to_string(facts.uid);
}

std::string replica_group(const JobOptions& opts, const StepFacts& facts) {
  if (opts.replicas <= 1) return {};
  if (facts.array_job_id != 0)
    return facts.cluster + ":array:" + std::to_string(facts.array_job_id);
  // The job name is the user's: unprintable bytes are escaped (ingest
  // quarantines a record holding them) and a long name is cut with a hash of
  // the whole group at the end, so the record still encodes and two long
  // names stay two groups.
  return records::fit_string(
      facts.cluster + ":" + std::to_string(facts.uid) + ":" + records::printable(facts.job_name),
      records::kMaxString);
}

std::optional<std::string> parse_result_digest(const std::string& content) {
  std::string d = content;
  if (!d.empty() && d.back() == '\n') d.pop_back();
  const auto colon = d.find(':');
  // The label names the hash and, for inference, the arithmetic
  // ("portable-blake2b-256"): up to 32 of [a-z0-9-].
  if (colon == std::string::npos || colon == 0 || colon > 32) return std::nullopt;
  for (std::size_t i = 0; i < colon; ++i) {
    const char c = d[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return std::nullopt;
  }
  const std::size_t hex_len = d.size() - colon - 1;
  if (hex_len < 32 || hex_len > 128 || hex_len % 2 != 0) return std::nullopt;
  for (std::size_t i = colon + 1; i < d.size(); ++i) {
    const char c = d[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
  }
  return d;
}

std::string default_checkpoint_dir(const NodeConfig& node, const StepFacts& facts) {
  if (node.scratch.empty()) return {};
  return node.scratch + "/" + std::to_string(facts.uid) + "/" + std::to_string(facts.job_id);
}

std::vector<std::pair<std::string, std::string>> task_environment(const NodeConfig& node,
                                                                  const JobOptions& opts,
                                                                  const StepFacts& facts,
                                                                  const std::string& ckpt_dir) {
  std::vector<std::pair<std::string, std::string>> env;
  if (node.tier) env.emplace_back(contract::kEnvTier, std::string(records::tier_name(*node.tier)));
  env.emplace_back(contract::kEnvSite, node.site);
  env.emplace_back(contract::kEnvNode, node.node.empty() ? facts.node : node.node);
  env.emplace_back(contract::kEnvAccount, claimed_account(facts));
  env.emplace_back(contract::kEnvReplicas, std::to_string(opts.replicas));
  const auto group = replica_group(opts, facts);
  if (!group.empty()) env.emplace_back(contract::kEnvReplicaGroup, group);
  if (!ckpt_dir.empty()) env.emplace_back(contract::kEnvCheckpointDir, ckpt_dir);
  env.emplace_back(contract::kEnvThreads,
                   std::to_string(facts.cpus_per_task ? facts.cpus_per_task : 1));
  return env;
}

std::uint32_t step_gpus(const std::optional<std::string>& gpus_on_node, std::uint32_t node_gpus) {
  if (!gpus_on_node || gpus_on_node->empty() || gpus_on_node->size() > 4 ||
      gpus_on_node->find_first_not_of("0123456789") != std::string::npos)
    return 0;
  const auto n = static_cast<std::uint32_t>(std::stoul(*gpus_on_node));
  return std::min({n, node_gpus, records::kMaxGpus});
}

records::UsageRecord build_record(const NodeConfig& node, const JobOptions& opts,
                                  const StepFacts& facts, const StepUsage& usage) {
  records::UsageRecord r;
  r.cluster = node.cluster.empty() ? facts.cluster : node.cluster;
  r.job_id = facts.job_id;
  r.step_id = facts.step_id;
  r.array_job_id = facts.array_job_id;
  r.array_task_id = facts.array_task_id;
  r.restart_count = facts.restart_count;
  r.submit_time = facts.submit_time;
  r.start_time = facts.start_time;
  r.end_time = usage.end_time < facts.start_time ? facts.start_time : usage.end_time;
  r.uid = facts.uid;
  r.account = claimed_account(facts);
  r.node = node.node.empty() ? facts.node : node.node;
  r.site = node.site;
  r.tier = node.tier ? std::string(records::tier_name(*node.tier)) : "";
  r.requested_tier = std::string(request_name(requested_tier(opts, node)));
  r.alloc_cores = count_cpu_list(facts.alloc_cores).value_or(0);
  r.alloc_mem_mb = facts.alloc_mem_mb;
  r.alloc_gpus = step_gpus(facts.gpus_on_node, node.gpus);
  r.cpu_user_us = usage.cpu_user_us;
  r.cpu_system_us = usage.cpu_system_us;
  r.max_rss_kb = usage.max_rss_kb;
  r.task_exit_status = usage.task_exit_status;
  r.replica_group = replica_group(opts, facts);
  r.replicas = static_cast<std::uint8_t>(opts.replicas);
  r.step_state = step_state(usage);
  r.result_digest = usage.result_digest;
  return r;
}

std::string record_file_name(const records::UsageRecord& r) {
  return std::to_string(r.job_id) + "." + records::step_name(r.step_id) + ".r" +
         std::to_string(r.restart_count) + "." + r.node + ".basinrec";
}

}  // namespace basin::plugin
