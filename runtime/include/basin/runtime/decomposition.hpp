// A Cartesian decomposition of a global (z, y, x) grid over the ranks of a
// communicator, in 1, 2 or 3 dimensions.
//
// Rule (part of every checkpoint's identity): the process grid splits z first,
// then y, then x (MPI_Dims_create over the `split_dims` slowest dimensions);
// along a dimension of n cells over p ranks, rank c gets n/p cells plus one if
// c < n%p. Splits along x fall on multiples of kTileCells so that the
// reproducible reductions and digests (which work on x-tiles of that length)
// never see a tile cut in two.
#pragma once

#include <mpi.h>

#include <array>
#include <cstdint>

namespace basin::runtime {

// Cells along x in one tile by default: the unit of reproducible sums and
// digests. A workload may choose another (Decomposition::Rule::tile_cells).
inline constexpr int kTileCells = 32;

// Index order is always (z, y, x); x is contiguous in memory.
struct Extent {
  std::array<int, 3> n{1, 1, 1};
  std::int64_t cells() const { return std::int64_t(n[0]) * n[1] * n[2]; }
};

struct Box {
  std::array<int, 3> begin{0, 0, 0};  // first global index per dimension
  std::array<int, 3> size{0, 0, 0};
  std::int64_t cells() const { return std::int64_t(size[0]) * size[1] * size[2]; }
};

// Owns the Cartesian communicator (freed on destruction).
class Decomposition {
 public:
  // Collective over comm. Throws std::invalid_argument when the grid is too
  // small for the ranks (each rank needs at least `min_cells` per split
  // dimension, and x splits need kTileCells per rank).
  Decomposition(MPI_Comm comm, Extent global, int split_dims, int min_cells = 2);

  // The general form: process_grid entries > 0 are fixed, 0 entries are
  // chosen by MPI_Dims_create (e.g. {1, 1, 0} splits x only).
  struct Rule {
    std::array<int, 3> process_grid{0, 0, 0};
    int tile_cells = kTileCells;
    int min_cells = 2;
  };
  Decomposition(MPI_Comm comm, Extent global, const Rule& rule);
  ~Decomposition();
  Decomposition(const Decomposition&) = delete;
  Decomposition& operator=(const Decomposition&) = delete;

  MPI_Comm comm() const { return cart_; }
  int rank() const { return rank_; }
  int ranks() const { return ranks_; }
  const Extent& global() const { return global_; }
  const Box& local() const { return local_; }
  const std::array<int, 3>& process_grid() const { return dims_; }
  // Neighbour rank in dimension d (0=z, 1=y, 2=x), side 0 = lower, 1 = upper;
  // MPI_PROC_NULL at a wall.
  int neighbour(int d, int side) const { return neighbours_[d][side]; }
  // Cells along x of one digest/sum tile; x splits fall on its multiples.
  int tile_cells() const { return tile_; }

 private:
  MPI_Comm cart_ = MPI_COMM_NULL;
  int rank_ = 0, ranks_ = 1;
  Extent global_;
  Box local_;
  std::array<int, 3> dims_{1, 1, 1};
  int tile_ = kTileCells;
  std::array<std::array<int, 2>, 3> neighbours_{};
};

// The block rule along one dimension: [begin, begin+size) of part c of p,
// with part boundaries on multiples of `granule`.
std::array<int, 2> block_range(int n, int p, int c, int granule = 1);

}  // namespace basin::runtime
