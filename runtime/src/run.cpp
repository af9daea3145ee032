// The run loop, top to bottom: resolve parameters, size the thread arena,
// build the workload, continue from a checkpoint or initialise, then step;
// output every `output_every` steps, checkpoint every `checkpoint_every`
// wall seconds, and on SIGTERM/SIGUSR1 checkpoint and exit 75; at the end
// write the last output level, the digest and a summary.
#include "basin/runtime/run.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <stdexcept>

#include "basin/common/durable_file.hpp"
#include "basin/common/job_contract.hpp"
#include "basin/runtime/checkpoint.hpp"
#include "basin/runtime/digest.hpp"
#include "basin/runtime/memory.hpp"
#include "basin/runtime/netcdf_output.hpp"
#include "basin/runtime/preemption.hpp"
#include "basin/runtime/progress.hpp"
#include "basin/runtime/threads.hpp"

namespace basin::runtime {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string bcast_string(std::string s, MPI_Comm comm) {
  int n = int(s.size());
  MPI_Bcast(&n, 1, MPI_INT, 0, comm);
  s.resize(std::size_t(n));
  MPI_Bcast(s.data(), n, MPI_CHAR, 0, comm);
  return s;
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// Why `dir` cannot take new files ("" when it can).
std::string unwritable_dir(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return "does not exist";
  if (!S_ISDIR(st.st_mode)) return "is not a directory";
  if (::access(dir.c_str(), W_OK | X_OK) != 0) return "is not writable";
  return {};
}

std::string parent_of(const std::string& path) {
  const std::string p = std::filesystem::path(path).parent_path().string();
  return p.empty() ? "." : p;
}

// --output FILE:/OBJECT of a workload with its own output, split; the file
// is written under a temporary name until the run is complete.
OwnOutputTarget own_output_target(const std::string& spec) {
  const auto at = spec.rfind(":/");
  if (at == std::string::npos || at == 0 || at + 2 >= spec.size())
    throw std::invalid_argument("--output " + spec +
                                ": expected FILE.h5:/dataset (e.g. scores.h5:/y)");
  const std::string file = spec.substr(0, at);
  return {spec, file, file + ".basin-tmp", spec.substr(at + 1)};
}

// Every place the run will write, checked on rank 0 before the first step:
// the directories of --output and --digest-file must exist and be writable;
// the checkpoint directory is created if missing (its parent must exist).
// "" or the message naming the path and the option.
std::string output_path_problem(const RunOptions& opt, const WorkloadInfo& info,
                                const std::string& ckdir, bool ckdir_from_option) {
  if (!opt.output.empty()) {
    // Workloads with their own output (infer) take FILE.h5:/dataset.
    const std::string file =
        info.own_output ? own_output_target(opt.output).final_file : opt.output;
    const std::string dir = parent_of(file);
    const std::string why = unwritable_dir(dir);
    if (!why.empty())
      return "--output " + opt.output + ": the directory " + dir + " " + why +
             "; create it or give another path";
  }
  if (!opt.digest_file.empty()) {
    const std::string dir = parent_of(opt.digest_file);
    const std::string why = unwritable_dir(dir);
    if (!why.empty())
      return "--digest-file " + opt.digest_file + ": the directory " + dir + " " + why +
             "; create it or give another path";
  }
  if (!ckdir.empty()) {
    const std::string what =
        ckdir_from_option ? "--checkpoint-dir " + ckdir : "BASIN_CHECKPOINT_DIR=" + ckdir;
    struct stat st {};
    if (::stat(ckdir.c_str(), &st) != 0) {
      const std::string parent = parent_of(ckdir);
      const std::string why = unwritable_dir(parent);
      if (!why.empty())
        return what + ": cannot create it, its parent directory " + parent + " " + why +
               "; create it or give another directory";
      std::error_code ec;
      std::filesystem::create_directory(ckdir, ec);
      if (ec) return what + ": cannot create it: " + ec.message();
    }
    const std::string why = unwritable_dir(ckdir);
    if (!why.empty()) return what + ": the directory " + why + "; give a writable directory";
  }
  return {};
}

}  // namespace

// One file per node in the node's own BASIN_CHECKPOINT_DIR: the plugin on
// each node reads its own.
void publish_digest(const RunOptions& opt, const std::string& ckdir, const std::string& digest,
                    MPI_Comm comm) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  if (!opt.digest_file.empty()) {
    if (rank == 0) write_digest_file(opt.digest_file, digest);
    return;
  }
  MPI_Comm node;
  MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
  int node_rank = 0;
  MPI_Comm_rank(node, &node_rank);
  MPI_Comm_free(&node);
  const std::string node_dir = env(contract::kEnvCheckpointDir);
  if (node_rank == 0 && !node_dir.empty())
    write_digest_file(node_dir + "/" + contract::kResultDigestFile, digest);
  else if (rank == 0 && node_dir.empty() && !ckdir.empty())
    write_digest_file(ckdir + "/" + contract::kResultDigestFile, digest);
}

std::vector<ParamSpec> driver_params(const WorkloadInfo& info) {
  std::vector<ParamSpec> all{
      {"threads",
       ParamKind::integer,
       "0",
       "",
       "TBB threads per rank; 0: BASIN_THREADS, SLURM_CPUS_PER_TASK, else the rank's cores",
       {},
       0,
       4096,
       false},
      {"output_every",
       ParamKind::integer,
       std::to_string(info.default_output_every),
       "steps",
       "steps between output levels (with --output); 0: first and last state only",
       {},
       0,
       1e15,
       false},
      {"checkpoint_every",
       ParamKind::real,
       "600",
       "s",
       "wall seconds between checkpoints (with a checkpoint directory); 0: only on a signal",
       {},
       0,
       1e9,
       false},
      {"stop_after",
       ParamKind::integer,
       "0",
       "steps",
       "stop after this many steps of this invocation with a checkpoint and exit 75, as a "
       "preempted run does; 0: run to the end",
       {},
       0,
       1e15,
       false},
      {"progress_every",
       ParamKind::real,
       "10",
       "s",
       "seconds between progress lines when the output is not a terminal",
       {},
       0.1,
       1e6,
       false},
      {"deflate",
       ParamKind::integer,
       "0",
       "",
       "gzip level of the output variables, 0 (none) to 9",
       {},
       0,
       9,
       false},
  };
  // A workload writing its own output writes as it steps, uncompressed.
  if (info.own_output)
    std::erase_if(
        all, [](const ParamSpec& p) { return p.name == "output_every" || p.name == "deflate"; });
  return all;
}

namespace {

// One `basin run` of a stepped workload, phase by phase: setup (workload,
// checkpoint store), restore or initialise, open the output, the step loop
// (output levels, checkpoints, preemption), finish (digest, output,
// summary). run() calls them in order and cleans the output up when one
// throws. Constructed inside the run's thread arena.
class SteppedRun {
 public:
  SteppedRun(const WorkloadInfo& info, const Params& params, const RunOptions& opt, MPI_Comm comm,
             std::FILE* log)
      : info_(info), params_(params), opt_(opt), comm_(comm), log_(log) {
    MPI_Comm_rank(comm, &rank_);
    MPI_Comm_size(comm, &ranks_);
    if (opt.output.empty()) return;
    if (info.own_output) {
      target_ = own_output_target(opt.output);
      out_tmp_ = target_.file;
      out_final_ = target_.final_file;
    } else {
      out_tmp_ = opt.output + ".basin-tmp";
      out_final_ = opt.output;
    }
  }

  RunReport run() {
    try {
      setup();
      restore_or_initialise();
      open_output();
      if (step_loop()) finish();
    } catch (const CollectiveError&) {
      // Every rank is here: close the output's handles together and remove it.
      if (out_)
        out_->discard();
      else if (!out_tmp_.empty() && rank_ == 0)
        ::unlink(out_tmp_.c_str());
      throw;
    } catch (const std::invalid_argument&) {
      if (out_) out_->discard();
      throw;
    } catch (...) {
      // This rank only: collective closes could hang; the run is aborted.
      if (out_) {
        if (ranks_ == 1)
          out_->discard();
        else
          out_->abandon();
      } else if (!out_tmp_.empty()) {
        ::unlink(out_tmp_.c_str());
      }
      throw;
    }
    return report_;
  }

 private:
  // The workload and the checkpoint store: --checkpoint-dir, else rank 0's
  // BASIN_CHECKPOINT_DIR (every rank must write the same file, wherever its
  // node's scratch is).
  void setup() {
    wl_ = info_.create(params_, comm_);
    dec_ = &wl_->decomposition();
    if (log_)
      for (const auto& line : wl_->description()) std::fprintf(log_, "  %s\n", line.c_str());
    ckdir_ = bcast_string(
        opt_.checkpoint_dir.empty() ? env(contract::kEnvCheckpointDir) : opt_.checkpoint_dir,
        comm_);
    if (opt_.restart && ckdir_.empty())
      throw std::invalid_argument(
          "--restart needs a checkpoint directory: give --checkpoint-dir DIR (or run under the "
          "Basin plugin, which sets BASIN_CHECKPOINT_DIR)");
    if (!ckdir_.empty())
      store_.emplace(ckdir_,
                     CheckpointIdentity{info_.name, dec_->global(),
                                        params_.state_fingerprint() + wl_->checkpoint_identity()},
                     *dec_);
  }

  // The newest checkpoint that passes its checks, else the initial state.
  void restore_or_initialise() {
    if (store_) {
      std::vector<std::string> notes;
      const auto loaded = store_->load_latest(wl_->state(), notes);
      if (log_)
        for (const auto& n : notes) std::fprintf(log_, "  refused checkpoint %s\n", n.c_str());
      if (loaded) {
        wl_->restore(loaded->step, loaded->scalars);
        restarted_ = true;
        if (log_)
          std::fprintf(log_, "  continuing from the checkpoint of step %lld in %s\n",
                       static_cast<long long>(loaded->step), ckdir_.c_str());
      } else if (opt_.restart) {
        throw CollectiveError("--restart: no checkpoint in " + ckdir_ +
                              "; run without --restart to start from the beginning");
      }
    }
    if (!restarted_) wl_->initialise();
  }

  // The output, under a temporary name until it is complete (or the run
  // stops for a requeue); a continued run appends to a copy of the earlier
  // run's file, which stays whole until this one's output is complete. A
  // workload with its own output opens it itself (and, continued, writes
  // what it restored again).
  void open_output() {
    started_ = Clock::now();  // the run's wall time counts its output from here
    if (opt_.output.empty()) return;
    if (info_.own_output) {
      const auto t0 = Clock::now();
      own_out_ = wl_->open_own_output(target_);
      out_ = own_out_.get();
      io_s_ += seconds_since(t0);
      return;
    }
    OutputLayout layout = wl_->output_layout();
    layout.deflate = int(params_.integer("deflate"));
    layout.text_attributes["workload"] = info_.name;
    std::string p;
    for (const auto& [k, v] : params_.values()) p += k + "=" + v + "\n";
    layout.text_attributes["basin_parameters"] = p;
    const auto t0 = Clock::now();
    if (restarted_) {
      std::string copied;
      if (rank_ == 0) {
        std::error_code ec;
        if (std::filesystem::exists(opt_.output, ec))
          std::filesystem::copy_file(opt_.output, out_tmp_,
                                     std::filesystem::copy_options::overwrite_existing, ec);
        if (ec) {
          ::unlink(out_tmp_.c_str());
          copied = "--output " + opt_.output + ": cannot copy it to " + out_tmp_ +
                   " to continue it: " + ec.message();
        }
      }
      copied = bcast_string(copied, comm_);
      if (!copied.empty()) throw CollectiveError(copied);
      grid_out_.emplace(NetcdfOutput::continue_after(out_tmp_, *dec_, layout, wl_->time()));
    } else {
      grid_out_.emplace(out_tmp_, *dec_, layout);
    }
    out_ = &*grid_out_;
    if (grid_out_->levels() == 0) grid_out_->append(wl_->time(), wl_->output_fields());
    io_s_ += seconds_since(t0);
    output_current_ = !restarted_;
  }

  // Steps to the end; false when the run stopped early (a signal or
  // stop_after) with a checkpoint, the report then filled for a requeue.
  bool step_loop() {
    const std::int64_t output_every = info_.own_output ? 0 : params_.integer("output_every");
    const std::int64_t stop_after = params_.integer("stop_after");
    const double checkpoint_every = params_.real("checkpoint_every");
    const Workload::Work work = wl_->work_per_step();
    progress_.emplace(log_, info_.name, wl_->total_steps(), work.per_step, work.unit,
                      params_.real("progress_every"));
    auto last_checkpoint = Clock::now();
    while (!wl_->finished()) {
      wl_->step();
      ++steps_here_;
      output_current_ = false;
      progress_->update(wl_->steps_done());
      if (grid_out_ && output_every > 0 && wl_->steps_done() % output_every == 0) {
        const auto t0 = Clock::now();
        grid_out_->append(wl_->time(), wl_->output_fields());
        io_s_ += seconds_since(t0);
        output_current_ = true;
      }
      // One agreement per step: [0] a rank was signalled or this invocation's
      // step budget is spent, [1] rank 0's clock says a checkpoint is due.
      int want[2] = {watch_.signalled() || (stop_after > 0 && steps_here_ >= stop_after) ? 1 : 0,
                     rank_ == 0 && store_ && checkpoint_every > 0 &&
                             seconds_since(last_checkpoint) >= checkpoint_every
                         ? 1
                         : 0};
      int agreed[2] = {0, 0};
      MPI_Allreduce(want, agreed, 2, MPI_INT, MPI_MAX, comm_);
      if (agreed[0] && !wl_->finished()) {
        stop_for_requeue();
        return false;
      }
      if (agreed[1] && !wl_->finished()) {
        checkpoint();
        last_checkpoint = Clock::now();
      }
    }
    progress_->finish();
    return true;
  }

  void stop_for_requeue() {
    progress_->finish();
    if (!store_) {
      if (log_)
        std::fprintf(log_,
                     "basin run %s: stopped at step %lld without a checkpoint directory: "
                     "nothing saved (give --checkpoint-dir to be able to continue)\n",
                     info_.name.c_str(), static_cast<long long>(wl_->steps_done()));
    } else {
      const std::string path = checkpoint();
      if (log_)
        std::fprintf(log_,
                     "basin run %s: %s at step %lld; checkpoint %s written; exit %d so the "
                     "job can be requeued (it continues from there)\n",
                     info_.name.c_str(),
                     watch_.signalled() ? "preempted by a signal" : "stop_after reached",
                     static_cast<long long>(wl_->steps_done()), path.c_str(), kExitPreempted);
    }
    // The grid's levels so far are a result; a workload's own output (rows
    // scored so far, the rest unwritten) is not: the continued run writes
    // it again from its checkpoint.
    if (grid_out_) {
      commit_output();
    } else if (out_) {
      out_->discard();
      out_ = nullptr;
    }
    report_.io_s = io_s_ + wl_->io_seconds();
    report_.exit_code = kExitPreempted;
    report_.steps = steps_here_;
    report_.wall_s = seconds_since(started_);
  }

  // The digest, the last output level and the summary.
  void finish() {
    const auto t0 = Clock::now();
    const std::string digest = wl_->digest_label() + result_digest(*dec_, wl_->output_fields());
    if (grid_out_ && !output_current_) grid_out_->append(wl_->time(), wl_->output_fields());
    if (out_) {
      out_->set_global_attribute("basin_result_digest", digest);
      commit_output();
    }
    publish_digest(opt_, ckdir_, digest, comm_);
    io_s_ += seconds_since(t0) + wl_->io_seconds();
    report_.wall_s = seconds_since(started_);  // the run, not the summary's error norms
    const auto lines = wl_->summary();
    report_.digest = digest;
    report_.steps = steps_here_;
    report_.io_s = io_s_;
    if (!log_) return;
    std::fprintf(log_, "basin run %s: done, %lld step(s) in %.3f s", info_.name.c_str(),
                 static_cast<long long>(steps_here_), report_.wall_s);
    // The step rate leaves out output, checkpoints and the digest.
    const double stepping = report_.wall_s - io_s_;
    const Workload::Work work = wl_->work_per_step();
    if (stepping > 0)
      std::fprintf(log_, ", stepping %.3f s = %.4g %s/s", stepping,
                   double(steps_here_) * work.per_step / stepping, work.unit.c_str());
    std::fprintf(log_, ", I/O %.3f s (%.1f%%)\n", io_s_,
                 report_.wall_s > 0 ? 100 * io_s_ / report_.wall_s : 0.0);
    for (const auto& l : lines) std::fprintf(log_, "  %s\n", l.c_str());
    std::fprintf(log_, "  result digest %s\n", digest.c_str());
    if (!opt_.output.empty()) std::fprintf(log_, "  output %s\n", opt_.output.c_str());
    std::fflush(log_);
  }

  std::string checkpoint() {
    const auto t0 = Clock::now();
    std::vector<const Field*> fields;
    for (Field* f : wl_->state()) fields.push_back(f);
    const std::string path = store_->save({wl_->steps_done(), wl_->scalars()}, fields);
    io_s_ += seconds_since(t0);
    return path;
  }

  void commit_output() {
    out_->close();
    out_ = nullptr;
    grid_out_.reset();
    own_out_.reset();
    MPI_Barrier(comm_);
    std::string why;
    if (rank_ == 0) {
      try {
        common::publish_file(out_tmp_, out_final_);
      } catch (const std::exception& e) {
        why = "--output " + opt_.output + ": cannot move " + out_tmp_ + " to " + out_final_ + ": " +
              e.what();
      }
    }
    why = bcast_string(why, comm_);
    if (!why.empty()) throw CollectiveError(why);
  }

  const WorkloadInfo& info_;
  const Params& params_;
  const RunOptions& opt_;
  MPI_Comm comm_;
  std::FILE* log_;
  int rank_ = 0, ranks_ = 1;
  // From here on a SIGTERM (a preemption while the run starts) is held until
  // the first step, where all ranks agree on it.
  PreemptionWatch watch_;
  std::unique_ptr<Workload> wl_;
  const Decomposition* dec_ = nullptr;
  OwnOutputTarget target_;           // a workload's own output (own_output)
  std::string out_tmp_, out_final_;  // the output's temporary and final names
  std::string ckdir_;
  std::optional<NetcdfOutput> grid_out_;
  std::unique_ptr<OutputFile> own_out_;
  OutputFile* out_ = nullptr;  // whichever of the two is open
  std::optional<CheckpointStore> store_;
  std::optional<Progress> progress_;
  Clock::time_point started_ = Clock::now();
  bool restarted_ = false, output_current_ = false;
  double io_s_ = 0;
  std::int64_t steps_here_ = 0;
  RunReport report_;
};

}  // namespace

RunReport run_workload(const RunOptions& opt, MPI_Comm comm, std::FILE* log) {
  int rank = 0, ranks = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &ranks);
  if (rank != 0) log = nullptr;

  const WorkloadInfo* info = find_workload(opt.workload);
  if (!info) {
    std::string names;
    for (const auto& w : workloads()) names += (names.empty() ? "" : ", ") + w.name;
    throw std::invalid_argument("unknown workload '" + opt.workload + "'; available: " + names);
  }
  std::vector<ParamSpec> specs = info->params;
  for (auto& s : driver_params(*info)) specs.push_back(s);
  const Params params = Params::resolve(specs, opt.config, opt.sets);
  if (info->own_output) {
    if (opt.output.empty())
      throw std::invalid_argument(
          "basin run " + info->name +
          " writes its results to a dataset: give --output FILE.h5:/dataset");
    (void)own_output_target(opt.output);  // every rank: the form is checked here
  }
  struct stat st {};
  if (!opt.digest_file.empty() && ::lstat(opt.digest_file.c_str(), &st) == 0 &&
      !S_ISREG(st.st_mode))
    throw std::invalid_argument("--digest-file " + opt.digest_file +
                                " exists and is not a regular file; give a file path");

  {
    // Output paths before any work: a missing directory found at the end of
    // a long run loses the run.
    const std::string ck =
        opt.checkpoint_dir.empty() ? env(contract::kEnvCheckpointDir) : opt.checkpoint_dir;
    const std::string problem = bcast_string(
        rank == 0 ? output_path_problem(opt, *info, ck, !opt.checkpoint_dir.empty()) : "", comm);
    if (!problem.empty()) throw std::invalid_argument(problem);
  }

  const ThreadPlan plan = plan_threads(comm, int(params.integer("threads")));
  if (log) {
    std::fprintf(log, "basin run %s: %d rank(s), %d thread(s) per rank (from %s)\n",
                 info->name.c_str(), ranks, plan.threads, plan.source.c_str());
    if (plan.threads > plan.cores_visible)
      std::fprintf(log,
                   "  note: rank 0 may run on %d core(s) only, so its %d threads share them; "
                   "under mpirun add --bind-to none (or --map-by slot:PE=%d)\n",
                   plan.cores_visible, plan.threads, plan.threads);
  }
  // Memory: refuse before anything big is allocated.
  if (info->memory) {
    const MemoryEstimate need = info->memory(params, comm);
    refuse_if_memory_short(need.bytes, need.what,
                           "Use more ranks (on more nodes), or a smaller grid.", comm);
  }
  ThreadArena arena(plan);
  RunReport report;
  arena.run([&] { report = SteppedRun(*info, params, opt, comm, log).run(); });
  return report;
}

}  // namespace basin::runtime
