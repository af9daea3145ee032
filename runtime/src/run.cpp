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

// Every place the run will write, checked on rank 0 before the first step:
// the directories of --output and --digest-file must exist and be writable;
// the checkpoint directory is created if missing (its parent must exist).
// "" or the message naming the path and the option.
std::string output_path_problem(const RunOptions& opt, const WorkloadInfo& info,
                                const std::string& ckdir, bool ckdir_from_option) {
  if (!opt.output.empty()) {
    std::string file = opt.output;
    // Workloads that run themselves (infer) take FILE.h5:/dataset.
    if (info.run) {
      const auto at = file.rfind(":/");
      if (at != std::string::npos && at > 0) file = file.substr(0, at);
    }
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
  if (!ckdir.empty() && !info.run) {
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
  return {
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
}

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
  if (info->run) {
    arena.run([&] { report = info->run(params, opt, comm, log); });
    return report;
  }
  arena.run([&] {
    // From here on a SIGTERM (a preemption while the run starts) is held until
    // the first step, where all ranks agree on it.
    PreemptionWatch watch;
    std::unique_ptr<Workload> wl = info->create(params, comm);
    const Decomposition& dec = wl->decomposition();
    // The output is written under a temporary name and renamed when it is
    // complete (or the run stops for a requeue); a failed run removes it.
    const std::string out_tmp = opt.output.empty() ? "" : opt.output + ".basin-tmp";
    std::optional<NetcdfOutput> out;
    auto commit_output = [&] {
      out->close();
      out.reset();
      MPI_Barrier(comm);
      std::string why;
      if (rank == 0) {
        try {
          common::publish_file(out_tmp, opt.output);
        } catch (const std::exception& e) {
          why = "--output " + opt.output + ": cannot move " + out_tmp + " to it: " + e.what();
        }
      }
      why = bcast_string(why, comm);
      if (!why.empty()) throw CollectiveError(why);
    };
    try {
      if (log) {
        const auto& g = dec.global().n;
        const auto& p = dec.process_grid();
        std::fprintf(log, "  grid %d x %d x %d (z, y, x) over a %d x %d x %d process grid\n", g[0],
                     g[1], g[2], p[0], p[1], p[2]);
      }

      // Checkpoints: --checkpoint-dir, else rank 0's BASIN_CHECKPOINT_DIR (every
      // rank must write the same file, wherever its node's scratch is).
      const std::string ckdir = bcast_string(
          opt.checkpoint_dir.empty() ? env(contract::kEnvCheckpointDir) : opt.checkpoint_dir, comm);
      if (opt.restart && ckdir.empty())
        throw std::invalid_argument(
            "--restart needs a checkpoint directory: give --checkpoint-dir DIR (or run under the "
            "Basin plugin, which sets BASIN_CHECKPOINT_DIR)");
      std::optional<CheckpointStore> store;
      if (!ckdir.empty())
        store.emplace(
            ckdir, CheckpointIdentity{info->name, dec.global(), params.state_fingerprint()}, dec);

      bool restarted = false;
      if (store) {
        std::vector<std::string> notes;
        const auto loaded = store->load_latest(wl->state(), notes);
        if (log)
          for (const auto& n : notes) std::fprintf(log, "  refused checkpoint %s\n", n.c_str());
        if (loaded) {
          wl->restore(loaded->step, loaded->scalars);
          restarted = true;
          if (log)
            std::fprintf(log, "  continuing from the checkpoint of step %lld in %s\n",
                         static_cast<long long>(loaded->step), ckdir.c_str());
        } else if (opt.restart) {
          throw CollectiveError("--restart: no checkpoint in " + ckdir +
                                "; run without --restart to start from the beginning");
        }
      }
      if (!restarted) wl->initialise();

      double io_s = 0;
      const OutputLayout layout = [&] {
        OutputLayout l = wl->output_layout();
        l.deflate = int(params.integer("deflate"));
        l.text_attributes["workload"] = info->name;
        std::string p;
        for (const auto& [k, v] : params.values()) p += k + "=" + v + "\n";
        l.text_attributes["basin_parameters"] = p;
        return l;
      }();
      if (!opt.output.empty()) {
        const auto t0 = Clock::now();
        if (restarted) {
          // Continue a copy: the file of the earlier run stays whole until
          // this one's output is complete.
          std::string copied;
          if (rank == 0) {
            std::error_code ec;
            if (std::filesystem::exists(opt.output, ec))
              std::filesystem::copy_file(opt.output, out_tmp,
                                         std::filesystem::copy_options::overwrite_existing, ec);
            if (ec) {
              ::unlink(out_tmp.c_str());
              copied = "--output " + opt.output + ": cannot copy it to " + out_tmp +
                       " to continue it: " + ec.message();
            }
          }
          copied = bcast_string(copied, comm);
          if (!copied.empty()) throw CollectiveError(copied);
          out.emplace(NetcdfOutput::continue_after(out_tmp, dec, layout, wl->time()));
        } else {
          out.emplace(out_tmp, dec, layout);
        }
        if (out->levels() == 0) out->append(wl->time(), wl->output_fields());
        io_s += seconds_since(t0);
      }

      auto checkpoint = [&] {
        const auto t0 = Clock::now();
        std::vector<const Field*> fields;
        for (Field* f : wl->state()) fields.push_back(f);
        const std::string path = store->save({wl->steps_done(), wl->scalars()}, fields);
        io_s += seconds_since(t0);
        return path;
      };

      const std::int64_t output_every = params.integer("output_every");
      const std::int64_t stop_after = params.integer("stop_after");
      const double checkpoint_every = params.real("checkpoint_every");
      Progress progress(log, info->name, wl->total_steps(), dec.global().cells(),
                        params.real("progress_every"));
      auto last_checkpoint = Clock::now();
      std::int64_t steps_here = 0;
      bool output_current = out.has_value() && !restarted;
      while (!wl->finished()) {
        wl->step();
        ++steps_here;
        output_current = false;
        progress.update(wl->steps_done());
        if (out && output_every > 0 && wl->steps_done() % output_every == 0) {
          const auto t0 = Clock::now();
          out->append(wl->time(), wl->output_fields());
          io_s += seconds_since(t0);
          output_current = true;
        }
        // One agreement per step: [0] a rank was signalled or this invocation's
        // step budget is spent, [1] rank 0's clock says a checkpoint is due.
        int want[2] = {watch.signalled() || (stop_after > 0 && steps_here >= stop_after) ? 1 : 0,
                       rank == 0 && store && checkpoint_every > 0 &&
                               seconds_since(last_checkpoint) >= checkpoint_every
                           ? 1
                           : 0};
        int agreed[2] = {0, 0};
        MPI_Allreduce(want, agreed, 2, MPI_INT, MPI_MAX, comm);
        if (agreed[0] && !wl->finished()) {
          progress.finish();
          if (!store) {
            if (log)
              std::fprintf(log,
                           "basin run %s: stopped at step %lld without a checkpoint directory: "
                           "nothing saved (give --checkpoint-dir to be able to continue)\n",
                           info->name.c_str(), static_cast<long long>(wl->steps_done()));
          } else {
            const std::string path = checkpoint();
            if (log)
              std::fprintf(log,
                           "basin run %s: %s at step %lld; checkpoint %s written; exit %d so the "
                           "job can be requeued (it continues from there)\n",
                           info->name.c_str(),
                           watch.signalled() ? "preempted by a signal" : "stop_after reached",
                           static_cast<long long>(wl->steps_done()), path.c_str(), kExitPreempted);
          }
          if (out) commit_output();
          report.exit_code = kExitPreempted;
          report.steps = steps_here;
          report.wall_s = progress.elapsed();
          report.io_s = io_s;
          return;
        }
        if (agreed[1] && !wl->finished()) {
          checkpoint();
          last_checkpoint = Clock::now();
        }
      }
      progress.finish();

      const auto t0 = Clock::now();
      const std::string digest = result_digest(dec, wl->output_fields());
      if (out) {
        if (!output_current) out->append(wl->time(), wl->output_fields());
        out->set_global_attribute("basin_result_digest", digest);
        commit_output();
      }
      publish_digest(opt, ckdir, digest, comm);
      io_s += seconds_since(t0);
      report.wall_s = progress.elapsed();  // the run, not the summary's error norms
      const auto lines = wl->summary();

      report.digest = digest;
      report.steps = steps_here;
      report.io_s = io_s;
      if (log) {
        std::fprintf(log, "basin run %s: done, %lld step(s) in %.3f s", info->name.c_str(),
                     static_cast<long long>(steps_here), report.wall_s);
        // The step rate leaves out output, checkpoints and the digest.
        const double stepping = report.wall_s - io_s;
        if (stepping > 0)
          std::fprintf(log, ", stepping %.3f s = %.4g cell updates/s", stepping,
                       double(steps_here) * double(dec.global().cells()) / stepping);
        std::fprintf(log, ", I/O %.3f s (%.1f%%)\n", io_s,
                     report.wall_s > 0 ? 100 * io_s / report.wall_s : 0.0);
        for (const auto& l : lines) std::fprintf(log, "  %s\n", l.c_str());
        std::fprintf(log, "  result digest %s\n", digest.c_str());
        if (out) std::fprintf(log, "  output %s\n", opt.output.c_str());
        std::fflush(log);
      }
    } catch (const CollectiveError&) {
      // Every rank is here: close the output's handles together and remove it.
      if (out)
        out->discard();
      else if (!out_tmp.empty() && rank == 0)
        ::unlink(out_tmp.c_str());
      throw;
    } catch (const std::invalid_argument&) {
      if (out) out->discard();
      throw;
    } catch (...) {
      // This rank only: collective closes could hang; the run is aborted.
      if (out) {
        if (ranks == 1)
          out->discard();
        else
          out->abandon();
      } else if (!out_tmp.empty()) {
        ::unlink(out_tmp.c_str());
      }
      throw;
    }
  });
  return report;
}

}  // namespace basin::runtime
