// Two real MPI ranks: the session sees both, and a message goes round.
#include <gtest/gtest.h>
#include <mpi.h>

#include <numeric>
#include <vector>

TEST(MpiSession, SeesEveryRankAndExchangesData) {
  int rank = -1, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  ASSERT_GE(size, 2) << "run this test with at least 2 ranks";

  // Each rank sends its rank to the next one around the ring.
  const int next = (rank + 1) % size;
  const int prev = (rank + size - 1) % size;
  int received = -1;
  MPI_Sendrecv(&rank, 1, MPI_INT, next, 7, &received, 1, MPI_INT, prev, 7, MPI_COMM_WORLD,
               MPI_STATUS_IGNORE);
  EXPECT_EQ(received, prev);

  // Gather every rank's id on every rank.
  std::vector<int> all(size, -1);
  MPI_Allgather(&rank, 1, MPI_INT, all.data(), 1, MPI_INT, MPI_COMM_WORLD);
  std::vector<int> expected(size);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(all, expected);
}
