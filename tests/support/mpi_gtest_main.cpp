// GoogleTest main for MPI tests: every rank runs every test; only rank 0
// prints, and the process exits non-zero if any rank failed.
#include <gtest/gtest.h>
#include <mpi.h>

#include "basin/runtime/mpi_session.hpp"

int main(int argc, char** argv) {
  basin::runtime::MpiSession mpi(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  if (mpi.rank() != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  int local_failed = RUN_ALL_TESTS() != 0 ? 1 : 0;
  int any_failed = 0;
  MPI_Allreduce(&local_failed, &any_failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  return any_failed;
}
