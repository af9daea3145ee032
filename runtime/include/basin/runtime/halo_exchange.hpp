// Halo exchange of a Field with its face neighbours: non-blocking, so a
// workload starts it, updates the cells that need no halo, then finishes it
// and updates the shell next to the faces.
//
// Faces only (no edges or corners): enough for 7-point stencils and for
// sweeps one dimension at a time. MPI derived datatypes describe the faces
// in place, so nothing is packed by hand.
#pragma once

#include <mpi.h>

#include <array>
#include <vector>

#include "basin/runtime/decomposition.hpp"
#include "basin/runtime/field.hpp"

namespace basin::runtime {

// An array of doubles, (z, y, x) row-major, with per dimension `owned`
// cells and `halo` cells on each side of them (0: no halo, not exchanged).
// `row`: the doubles a stored x row takes if it is padded beyond
// owned[2] + 2 halo[2] (a Field's rows are, see stored_row_length); 0: not padded.
struct HaloShape {
  std::array<int, 3> owned{};
  std::array<int, 3> halo{};
  int row = 0;
};
// The rank on each side of each dimension ([d][0] below, [d][1] above);
// MPI_PROC_NULL where there is none (a wall).
using Neighbours = std::array<std::array<int, 2>, 3>;

class HaloExchange {
 public:
  // The datatypes depend only on the array's shape; one exchanger serves
  // every array of that shape. `comm` must outlive the exchanger.
  HaloExchange(MPI_Comm comm, const HaloShape& shape, const Neighbours& neighbours);
  // A field of the decomposition: the same halo in every dimension, the
  // decomposition's neighbours.
  HaloExchange(const Decomposition& decomposition, const Field& shape);
  ~HaloExchange();
  HaloExchange(const HaloExchange&) = delete;
  HaloExchange& operator=(const HaloExchange&) = delete;

  void start(double* data);  // posts receives and sends on an array of the shape
  void start(Field& f) { start(f.data()); }
  void finish();  // waits for all of them
  void exchange(Field& f) {
    start(f);
    finish();
  }
  void exchange(double* data) {
    start(data);
    finish();
  }

 private:
  MPI_Comm comm_;
  Neighbours neighbours_;
  // [dimension][side][0 = send region, 1 = receive region]
  std::array<std::array<std::array<MPI_Datatype, 2>, 2>, 3> types_{};
  std::vector<MPI_Request> requests_;
};

// The cells of `box` (local indices [0, size)) at least `width` away from
// every face that has a neighbour rank, and the shell that remains, as
// disjoint boxes: update the inner box while the halo is in flight.
struct Split {
  Box inner;
  std::vector<Box> shell;
};
Split split_for_overlap(const Decomposition& decomposition, int width);

}  // namespace basin::runtime
