// MPI set-up and tear-down as RAII.
//
// One MpiSession lives in main() for the whole run; its destructor calls
// MPI_Finalize even when the run ends by exception, so a failing rank never
// leaves the others hanging in MPI_Finalize's absence.
#pragma once

#include <mpi.h>

namespace basin::runtime {

class MpiSession {
 public:
  // Initialises MPI with MPI_THREAD_FUNNELED (TBB workers never call MPI).
  MpiSession(int* argc, char*** argv);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  MPI_Comm world() const { return MPI_COMM_WORLD; }

 private:
  int rank_ = 0;
  int size_ = 1;
  bool owns_ = false;  // false when MPI was already initialised by someone else
};

}  // namespace basin::runtime
