// Halo exchange of a Field with its face neighbours: non-blocking, so a
// workload starts it, updates the cells that need no halo, then finishes it
// and updates the shell next to the faces.
//
// Faces only (no edges or corners): enough for 7-point stencils. MPI derived
// datatypes describe the faces in place, so nothing is packed by hand.
#pragma once

#include <mpi.h>

#include <array>
#include <vector>

#include "basin/runtime/decomposition.hpp"
#include "basin/runtime/field.hpp"

namespace basin::runtime {

class HaloExchange {
 public:
  // The datatypes depend only on the field's shape; one exchanger serves
  // every field of the same box and halo.
  HaloExchange(const Decomposition& decomposition, const Field& shape);
  ~HaloExchange();
  HaloExchange(const HaloExchange&) = delete;
  HaloExchange& operator=(const HaloExchange&) = delete;

  void start(Field& f);  // posts receives and sends
  void finish();         // waits for all of them
  void exchange(Field& f) {
    start(f);
    finish();
  }

 private:
  const Decomposition& dec_;
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
