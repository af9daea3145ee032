// Preemption: Slurm sends SIGTERM before it kills a step (time limit,
// `scontrol requeue`, preemption) and `--signal=USR1@T` sends SIGUSR1 ahead of
// time. The handler only sets a flag; the run loop asks every step whether
// any rank saw a signal, so all ranks stop after the same step.
#pragma once

#include <csignal>

namespace basin::runtime {

// Exit status of a run that stopped on a signal after writing its
// checkpoint: the batch script requeues on it (EX_TEMPFAIL).
inline constexpr int kExitPreempted = 75;

class PreemptionWatch {
 public:
  PreemptionWatch();   // installs handlers for SIGTERM and SIGUSR1
  ~PreemptionWatch();  // restores the previous ones
  PreemptionWatch(const PreemptionWatch&) = delete;
  PreemptionWatch& operator=(const PreemptionWatch&) = delete;

  bool signalled() const;  // this rank only
  int signal() const;      // the last signal seen, 0 if none

 private:
  struct sigaction old_term_ {};
  struct sigaction old_usr1_ {};
};

}  // namespace basin::runtime
