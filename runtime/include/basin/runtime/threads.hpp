// One TBB arena per rank, sized from the job: `--set threads=N`, else
// BASIN_THREADS (set by the SPANK plugin), else SLURM_CPUS_PER_TASK, else the
// cores this rank may run on shared among the ranks of its node.
//
// Under mpirun, Open MPI binds each rank to one core when np <= 2: the
// affinity mask then holds one core and so does the arena, unless asked
// otherwise (then the log says why the extra threads share a core).
#pragma once

#include <mpi.h>
#include <tbb/global_control.h>
#include <tbb/task_arena.h>

#include <memory>
#include <string>

namespace basin::runtime {

struct ThreadPlan {
  int threads = 1;
  int cores_visible = 1;  // cores in this rank's affinity mask
  std::string source;     // where the count came from, for the log
};

// Collective over comm (counts the ranks on this node).
ThreadPlan plan_threads(MPI_Comm comm, int requested);

class ThreadArena {
 public:
  explicit ThreadArena(const ThreadPlan& plan);
  template <class F>
  void run(F&& f) {
    arena_.execute(std::forward<F>(f));
  }
  int threads() const { return threads_; }

 private:
  int threads_;
  tbb::global_control cap_;
  tbb::task_arena arena_;
};

}  // namespace basin::runtime
