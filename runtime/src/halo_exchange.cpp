#include "basin/runtime/halo_exchange.hpp"

#include <stdexcept>

namespace basin::runtime {
namespace {

// The face of `shape` in dimension `dim` that starts at storage index
// `start` there: `halo` layers deep, spanning the owned cells of the other
// dimensions (no edges or corners).
MPI_Datatype face_type(const HaloShape& shape, int dim, int start) {
  std::array<int, 3> storage{}, sub{}, at{};
  for (int d = 0; d < 3; ++d) {
    storage[d] = shape.owned[d] + 2 * shape.halo[d];
    if (d == 2 && shape.row > 0) storage[d] = shape.row;
    sub[d] = d == dim ? shape.halo[d] : shape.owned[d];
    at[d] = d == dim ? start : shape.halo[d];
  }
  MPI_Datatype t;
  MPI_Type_create_subarray(3, storage.data(), sub.data(), at.data(), MPI_ORDER_C, MPI_DOUBLE, &t);
  MPI_Type_commit(&t);
  return t;
}

HaloShape shape_of(const Field& f) {
  return {f.box().size, {f.halo(), f.halo(), f.halo()}, f.storage()[2]};
}

Neighbours neighbours_of(const Decomposition& dec) {
  Neighbours n{};
  for (int d = 0; d < 3; ++d) n[d] = {dec.neighbour(d, 0), dec.neighbour(d, 1)};
  return n;
}

}  // namespace

HaloExchange::HaloExchange(MPI_Comm comm, const HaloShape& shape, const Neighbours& neighbours)
    : comm_(comm), neighbours_(neighbours) {
  for (auto& dim : types_)
    for (auto& side : dim) side = {MPI_DATATYPE_NULL, MPI_DATATYPE_NULL};
  if (shape.row != 0 && shape.row < shape.owned[2] + 2 * shape.halo[2])
    throw std::invalid_argument("halo exchange: a stored row shorter than its cells and halo");
  for (int d = 0; d < 3; ++d) {
    const int h = shape.halo[d], n = shape.owned[d];
    if (h < 0 || n < 0) throw std::invalid_argument("halo exchange: negative extent");
    if (h == 0) {
      neighbours_[d] = {MPI_PROC_NULL, MPI_PROC_NULL};  // nothing to exchange
      continue;
    }
    if (n < h && (neighbours_[d][0] != MPI_PROC_NULL || neighbours_[d][1] != MPI_PROC_NULL))
      throw std::invalid_argument("halo exchange: fewer owned cells than halo cells to send");
    // Lower side: send my first h owned layers, receive into the h halo layers below.
    types_[d][0][0] = face_type(shape, d, h);
    types_[d][0][1] = face_type(shape, d, 0);
    // Upper side: send my last h owned layers, receive above them.
    types_[d][1][0] = face_type(shape, d, n);
    types_[d][1][1] = face_type(shape, d, n + h);
  }
}

HaloExchange::HaloExchange(const Decomposition& decomposition, const Field& shape)
    : HaloExchange(decomposition.comm(), shape_of(shape), neighbours_of(decomposition)) {
  if (shape.halo() < 1) throw std::invalid_argument("halo exchange needs a field with a halo");
}

HaloExchange::~HaloExchange() {
  int finalised = 0;
  MPI_Finalized(&finalised);
  if (finalised) return;
  for (auto& dim : types_)
    for (auto& side : dim)
      for (auto& t : side)
        if (t != MPI_DATATYPE_NULL) MPI_Type_free(&t);
}

void HaloExchange::start(double* data) {
  requests_.clear();
  for (int d = 0; d < 3; ++d)
    for (int side = 0; side < 2; ++side) {
      const int peer = neighbours_[d][side];
      if (peer == MPI_PROC_NULL) continue;
      // Tag by the direction the data travels, so the two faces between the
      // same pair of ranks (possible with 2 ranks in a dimension) never mix.
      const int recv_tag = d * 2 + side, send_tag = d * 2 + (1 - side);
      requests_.emplace_back();
      MPI_Irecv(data, 1, types_[d][side][1], peer, recv_tag, comm_, &requests_.back());
      requests_.emplace_back();
      MPI_Isend(data, 1, types_[d][side][0], peer, send_tag, comm_, &requests_.back());
    }
}

void HaloExchange::finish() {
  if (!requests_.empty())
    MPI_Waitall(static_cast<int>(requests_.size()), requests_.data(), MPI_STATUSES_IGNORE);
  requests_.clear();
}

Split split_for_overlap(const Decomposition& dec, int width) {
  Split s;
  Box inner;
  inner.size = dec.local().size;
  for (int d = 0; d < 3; ++d) {
    const bool lo = dec.neighbour(d, 0) != MPI_PROC_NULL, hi = dec.neighbour(d, 1) != MPI_PROC_NULL;
    const int a = lo ? width : 0, b = hi ? width : 0;
    inner.begin[d] = a;
    inner.size[d] = std::max(0, dec.local().size[d] - a - b);
  }
  s.inner = inner;
  // Peel the shell slab by slab, dimension by dimension, so the boxes are disjoint:
  // remaining region starts as the whole box and shrinks to the inner one.
  Box rest;
  rest.size = dec.local().size;
  for (int d = 0; d < 3; ++d) {
    if (inner.size[d] == 0) {  // no inner cells at all: everything is shell
      s.shell.push_back(rest);
      s.inner.size = {0, 0, 0};
      return s;
    }
    if (inner.begin[d] > rest.begin[d]) {
      Box b = rest;
      b.size[d] = inner.begin[d] - rest.begin[d];
      s.shell.push_back(b);
    }
    const int inner_end = inner.begin[d] + inner.size[d];
    const int rest_end = rest.begin[d] + rest.size[d];
    if (rest_end > inner_end) {
      Box b = rest;
      b.begin[d] = inner_end;
      b.size[d] = rest_end - inner_end;
      s.shell.push_back(b);
    }
    rest.begin[d] = inner.begin[d];
    rest.size[d] = inner.size[d];
  }
  return s;
}

}  // namespace basin::runtime
