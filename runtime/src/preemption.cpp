#include "basin/runtime/preemption.hpp"

namespace basin::runtime {
namespace {

volatile std::sig_atomic_t g_signal = 0;

extern "C" void on_preempt(int sig) {
  g_signal = sig;
}

}  // namespace

PreemptionWatch::PreemptionWatch() {
  g_signal = 0;
  struct sigaction sa {};
  sa.sa_handler = on_preempt;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;  // MPI and file calls continue; the loop checks the flag
  sigaction(SIGTERM, &sa, &old_term_);
  sigaction(SIGUSR1, &sa, &old_usr1_);
}

PreemptionWatch::~PreemptionWatch() {
  sigaction(SIGTERM, &old_term_, nullptr);
  sigaction(SIGUSR1, &old_usr1_, nullptr);
}

bool PreemptionWatch::signalled() const {
  return g_signal != 0;
}
int PreemptionWatch::signal() const {
  return g_signal;
}

}  // namespace basin::runtime
