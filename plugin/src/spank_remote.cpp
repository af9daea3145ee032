// Remote side: the hooks that run in slurmstepd on each node of a step.
//
//   init_post_opt   (root)  gather the step's facts; prepare the checkpoint dir
//   user_init       (user)  export BASIN_* to the tasks
//   task_init       (user, in each task before exec) refuse a job on a node
//                   of the wrong tier: the message goes to the job's stderr,
//                   and only this job fails (never fail init_post_opt or
//                   user_init: Slurm drains the node for that)
//   task_exit       (root)  collect each task's exit status
//   exit            (root)  write the signed usage record; never fail the job
#include <fcntl.h>
#include <pwd.h>
#include <sys/fsuid.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <system_error>
#include <vector>

#include "basin/common/durable_file.hpp"
#include "basin/common/job_contract.hpp"
#include "basin/records/signing.hpp"
#include "spank_state.hpp"

namespace basin::plugin {
namespace {

using contract::kMaxResultDigestBytes;
using contract::kResultDigestFile;

std::string user_name(std::uint32_t uid) {
  struct passwd pw {};
  struct passwd* out = nullptr;
  std::vector<char> buf(16384);
  if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &out) != 0 || !out) return {};
  return pw.pw_name;
}

std::int64_t parse_time(const std::optional<std::string>& s) {
  if (!s || s->empty() || s->size() > 12) return 0;
  std::int64_t v = 0;
  for (char c : *s) {
    if (c < '0' || c > '9') return 0;
    v = v * 10 + (c - '0');
  }
  return v;
}

// 22.05's S_SLURM_RESTART_COUNT reads 0 in a requeued batch step, whose
// environment carries SLURM_RESTART_COUNT (set by slurmstepd, not the user)
// only once the task environment is built: read both, as late as possible.
std::uint32_t restart_count(spank_t sp) {
  return std::max<std::uint32_t>(
      item_u32(sp, S_SLURM_RESTART_COUNT, 0),
      static_cast<std::uint32_t>(parse_time(job_getenv(sp, "SLURM_RESTART_COUNT"))));
}

void gather_facts(spank_t sp) {
  auto& f = state().facts;
  f.start_time = std::time(nullptr);
  f.job_id = item_u32(sp, S_JOB_ID, 0);
  f.step_id = item_u32(sp, S_JOB_STEPID, 0);
  f.uid = item_u32(sp, S_JOB_UID, 0);
  f.gid = item_u32(sp, S_JOB_GID, f.uid);
  f.array_job_id = item_u32(sp, S_JOB_ARRAY_ID, 0);
  f.array_task_id = item_u32(sp, S_JOB_ARRAY_TASK_ID, 0);
  // For a job that is not an array task, 22.05 reports the job id as array
  // id and NO_VAL as task id: record both as 0.
  constexpr std::uint32_t kNoVal = 0xfffffffe;
  if (f.array_task_id == kNoVal || f.array_task_id == kNoVal + 1)
    f.array_job_id = f.array_task_id = 0;
  f.restart_count = restart_count(sp);
  f.cpus_per_task = item_u32(sp, S_STEP_CPUS_PER_TASK, 1);
  f.alloc_cores = item_string(sp, S_STEP_ALLOC_CORES).value_or("");
  std::uint64_t mem = 0;
  if (spank_get_item(sp, S_STEP_ALLOC_MEM, &mem) == ESPANK_SUCCESS) f.alloc_mem_mb = mem;
  // Node and cluster from the admin's plugstack line: the job's environment
  // (SLURMD_NODENAME, SLURM_CLUSTER_NAME) is the user's to set in a step.
  f.cluster = state().node.config.cluster;
  f.node = state().node.config.node;
  f.job_name = job_getenv(sp, "SLURM_JOB_NAME").value_or("");
  f.slurm_account = job_getenv(sp, "SLURM_JOB_ACCOUNT").value_or("");
  f.submit_time = parse_time(job_getenv(sp, contract::kEnvSubmitTime));
  f.user_name = user_name(f.uid);
  state().facts_ready = true;
}

// mkdir name below the open directory `parent` (if missing) owned by uid,
// mode 0700, without following symlinks; returns the new directory's fd.
int make_user_dir(int parent, const std::string& name, uid_t uid, gid_t gid) {
  if (mkdirat(parent, name.c_str(), 0700) != 0 && errno != EEXIST) return -1;
  const int fd = openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return -1;
  struct stat st {};
  if (fstat(fd, &st) != 0 || (st.st_uid != uid && st.st_uid != 0) ||
      (st.st_uid == 0 && fchown(fd, uid, gid) != 0)) {
    close(fd);
    errno = EPERM;
    return -1;
  }
  return fd;
}

// The default checkpoint directory SCRATCH/<uid>/<job>, created as root for
// the job's user. SCRATCH is the admin's (plugstack scratch=).
void prepare_checkpoint_dir() {
  auto& s = state();
  if (!s.options.checkpoint) return;
  if (s.options.checkpoint_dir) {
    s.checkpoint_dir = *s.options.checkpoint_dir;
    return;
  }
  const auto& cfg = s.node.config;
  if (cfg.scratch.empty()) {
    slurm_error(
        "basin: --basin-checkpoint without DIR, but this node has no scratch= in "
        "plugstack.conf; no checkpoint directory is set");
    return;
  }
  const uid_t uid = s.facts.uid;
  const gid_t gid = s.facts.gid;
  const int root = open(cfg.scratch.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  int user_dir = root < 0 ? -1 : make_user_dir(root, std::to_string(uid), uid, gid);
  int job_dir =
      user_dir < 0 ? -1 : make_user_dir(user_dir, std::to_string(s.facts.job_id), uid, gid);
  if (job_dir < 0)
    slurm_error("basin: cannot prepare checkpoint directory under %s: %s", cfg.scratch.c_str(),
                std::strerror(errno));
  else
    s.checkpoint_dir = default_checkpoint_dir(cfg, s.facts);
  for (int fd : {job_dir, user_dir, root})
    if (fd >= 0) close(fd);
}

// Reads the runtime's digest with the job user's file-system identity (uid
// and gid: with root's fsgid, a root-group directory's group bits would apply
// instead of its "other" bits and refuse the user a path the user may take),
// so even a path through directories only the user controls opens nothing
// the user could not open; the file must also be the user's own regular file.
std::string read_result_digest() {
  auto& s = state();
  if (s.checkpoint_dir.empty()) return {};
  const uid_t uid = s.facts.uid;
  const int old_gid = setfsgid(s.facts.gid);
  const int old_uid = setfsuid(uid);
  std::string why;
  auto content =
      common::read_user_file(s.checkpoint_dir, kResultDigestFile, uid, kMaxResultDigestBytes, why);
  setfsuid(static_cast<uid_t>(old_uid));
  setfsgid(static_cast<gid_t>(old_gid));
  if (!content) {
    if (why.find("No such file") == std::string::npos)
      slurm_info("basin: no result digest recorded: %s", why.c_str());
    return {};
  }
  auto digest = parse_result_digest(*content);
  if (!digest) {
    slurm_error("basin: %s/%s is not '<algorithm>:<hex>'; not recorded", s.checkpoint_dir.c_str(),
                kResultDigestFile);
    return {};
  }
  return *digest;
}

// The message task_init refuses a job with on this node, "" if none.
std::string task_refusal_message() {
  const auto& s = state();
  const auto node = s.node.config.node.empty() ? s.facts.node : s.node.config.node;
  // Fail closed: a node that cannot account for jobs does not run them.
  if (!s.node.complete_for_node())
    return "basin: node " + node +
           " has an invalid Basin configuration (see its slurmd log); the job was refused. Ask "
           "the site's admins.\n";
  const auto refusal =
      tier_refusal(requested_tier(s.options, s.node.config), *s.node.config.tier, node);
  return refusal ? *refusal + "\n" : std::string();
}

// Whether task_init refused the job's tasks on this node (its decision,
// not a second one).
bool is_refused() {
  const auto& s = state();
  return !s.task_refusal || !s.task_refusal->empty();
}

}  // namespace

int remote_init_post_opt(spank_t sp) {
  gather_facts(sp);
  state().task_refusal = task_refusal_message();
  prepare_checkpoint_dir();
  return ESPANK_SUCCESS;
}

}  // namespace basin::plugin

using namespace basin::plugin;

extern "C" int slurm_spank_user_init(spank_t sp, int, char**) {
  // Never fail: a failing user_init drains the node.
  return guard("slurm_spank_user_init", ESPANK_SUCCESS, [&]() -> int {
    auto& s = state();
    if (!s.facts_ready) return ESPANK_SUCCESS;
    for (const auto& [k, v] : task_environment(s.node.config, s.options, s.facts, s.checkpoint_dir))
      spank_setenv(sp, k.c_str(), v.c_str(), 1);
    return ESPANK_SUCCESS;
  });
}

// Slurm treats only a negative return from task_init as failure (a positive
// spank_err_t is logged but the task still runs), so refusals return -1.
// It runs in the forked task: no allocation, no stdio lock, one write(2) of
// the message init_post_opt prepared.
extern "C" int slurm_spank_task_init(spank_t, int, char**) {
  const auto& s = state();
  if (!s.facts_ready) return ESPANK_SUCCESS;
  static constexpr char kUnchecked[] =
      "basin: this node could not check the job against its tier (see its slurmd log); the job "
      "was refused. Ask the site's admins.\n";
  const char* msg = s.task_refusal ? s.task_refusal->c_str() : kUnchecked;
  const std::size_t len = s.task_refusal ? s.task_refusal->size() : sizeof kUnchecked - 1;
  if (len == 0) return ESPANK_SUCCESS;
  // A short or failed write changes nothing: the job is refused either way.
  [[maybe_unused]] const ssize_t written = write(STDERR_FILENO, msg, len);
  return -1;
}

extern "C" int slurm_spank_task_exit(spank_t sp, int, char**) {
  return guard("slurm_spank_task_exit", ESPANK_SUCCESS, [&]() -> int {
    int status = 0;
    if (spank_get_item(sp, S_TASK_EXIT_STATUS, &status) == ESPANK_SUCCESS)
      state().usage.task_exit_status.push_back(status);
    return ESPANK_SUCCESS;
  });
}

extern "C" int slurm_spank_exit(spank_t sp, int, char**) {
  // Accounting problems are logged loudly and never fail the job.
  return guard("slurm_spank_exit", ESPANK_SUCCESS, [&]() -> int {
    if (spank_context() != S_CTX_REMOTE) return ESPANK_SUCCESS;
    auto& s = state();
    const auto& cfg = s.node.config;
    if (!s.facts_ready || !cfg.records || s.facts.step_id == basin::records::kExternStep)
      return ESPANK_SUCCESS;
    if (cfg.node_key.empty() || cfg.spool.empty()) {
      slurm_error(
          "basin: job %u: no usage record written: node_key= or spool= missing in "
          "plugstack.conf",
          s.facts.job_id);
      return ESPANK_SUCCESS;
    }
    s.facts.restart_count = std::max(s.facts.restart_count, restart_count(sp));
    // The step's tasks are the children slurmstepd has reaped.
    struct rusage ru {};
    getrusage(RUSAGE_CHILDREN, &ru);
    auto& u = s.usage;
    u.end_time = std::time(nullptr);
    u.cpu_user_us = static_cast<std::uint64_t>(ru.ru_utime.tv_sec) * 1000000u +
                    static_cast<std::uint64_t>(ru.ru_utime.tv_usec);
    u.cpu_system_us = static_cast<std::uint64_t>(ru.ru_stime.tv_sec) * 1000000u +
                      static_cast<std::uint64_t>(ru.ru_stime.tv_usec);
    u.max_rss_kb = static_cast<std::uint64_t>(ru.ru_maxrss);
    u.refused = is_refused();
    u.result_digest = read_result_digest();
    // The step's GPUs: slurmstepd's own SLURM_GPUS_ON_NODE, read as late as
    // possible (see step_gpus() for why this variable and its limits).
    s.facts.gpus_on_node = job_getenv(sp, "SLURM_GPUS_ON_NODE");
    if (const auto n = step_gpus(s.facts.gpus_on_node, ~0u); n > cfg.gpus)
      slurm_error(
          "basin: job %u: step has %u GPUs but plugstack.conf declares gpus=%u; %u recorded",
          s.facts.job_id, n, cfg.gpus, cfg.gpus);
    const auto record = build_record(cfg, s.options, s.facts, u);
    try {
      const auto key = basin::records::NodeKey::load(cfg.node_key, /*require_root_only=*/true);
      const auto file = basin::records::sign_record(record, key);
      // Never replace a record: a second record with the same name (which
      // should not happen) is kept beside the first for the ledger to flag.
      const auto name = record_file_name(record);
      for (int n = 0;; ++n) {
        try {
          basin::common::write_file_durably(
              cfg.spool, n == 0 ? name : name + "." + std::to_string(n), file, 0640,
              /*replace=*/false);
          break;
        } catch (const std::system_error& e) {
          if (e.code() != std::errc::file_exists || n >= 100) throw;
        }
      }
      slurm_info("basin: usage record %s written", basin::records::identity(record).c_str());
    } catch (const std::exception& e) {
      slurm_error("basin: LOST usage record %s: %s", basin::records::identity(record).c_str(),
                  e.what());
    }
    return ESPANK_SUCCESS;
  });
}
