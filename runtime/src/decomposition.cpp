#include "basin/runtime/decomposition.hpp"

#include <stdexcept>
#include <string>

namespace basin::runtime {

std::array<int, 2> block_range(int n, int p, int c, int granule) {
  // Distribute whole granules; the last part also takes the remainder cells.
  const int granules = n / granule;
  const int base = granules / p, extra = granules % p;
  const int first = c * base + (c < extra ? c : extra);
  const int count = base + (c < extra ? 1 : 0);
  int begin = first * granule, size = count * granule;
  if (c == p - 1) size = n - begin;
  return {begin, size};
}

namespace {
Decomposition::Rule rule_for(int split_dims, int min_cells) {
  if (split_dims < 1 || split_dims > 3)
    throw std::invalid_argument("split_dims must be 1, 2 or 3 (got " + std::to_string(split_dims) +
                                ")");
  Decomposition::Rule r;
  for (int d = split_dims; d < 3; ++d) r.process_grid[d] = 1;
  r.min_cells = min_cells;
  return r;
}
}  // namespace

Decomposition::Decomposition(MPI_Comm comm, Extent global, int split_dims, int min_cells)
    : Decomposition(comm, global, rule_for(split_dims, min_cells)) {}

Decomposition::Decomposition(MPI_Comm comm, Extent global, const Rule& rule)
    : global_(global), tile_(rule.tile_cells) {
  if (rule.tile_cells < 1) throw std::invalid_argument("tile_cells must be positive");
  MPI_Comm_size(comm, &ranks_);
  std::array<int, 3> dims = rule.process_grid;
  if (MPI_Dims_create(ranks_, 3, dims.data()) != MPI_SUCCESS)
    throw std::invalid_argument("the fixed process grid does not divide the " +
                                std::to_string(ranks_) + " ranks");
  dims_ = dims;
  static const char* names[3] = {"z", "y", "x"};
  for (int d = 0; d < 3; ++d) {
    const int granule = d == 2 && dims[d] > 1 ? tile_ : 1;
    const int need = dims[d] > 1 ? std::max(rule.min_cells, granule) * dims[d] : 1;
    if (global.n[d] < need)
      throw std::invalid_argument(std::string("grid too small for ") + std::to_string(ranks_) +
                                  " ranks: " + names[d] + " has " + std::to_string(global.n[d]) +
                                  " cells, the process grid splits it " + std::to_string(dims[d]) +
                                  " ways and needs at least " + std::to_string(need) +
                                  "; use fewer ranks, a larger grid or another split_dims");
  }
  const std::array<int, 3> periods{0, 0, 0};
  // reorder = 0: rank numbers stay those of comm, so rank 0 is still rank 0.
  MPI_Cart_create(comm, 3, dims_.data(), periods.data(), 0, &cart_);
  MPI_Comm_rank(cart_, &rank_);
  std::array<int, 3> coords{};
  MPI_Cart_coords(cart_, rank_, 3, coords.data());
  for (int d = 0; d < 3; ++d) {
    const auto r = block_range(global.n[d], dims_[d], coords[d], d == 2 ? tile_ : 1);
    local_.begin[d] = r[0];
    local_.size[d] = r[1];
    MPI_Cart_shift(cart_, d, 1, &neighbours_[d][0], &neighbours_[d][1]);
  }
}

Decomposition::~Decomposition() {
  int finalised = 0;
  MPI_Finalized(&finalised);
  if (cart_ != MPI_COMM_NULL && !finalised) MPI_Comm_free(&cart_);
}

}  // namespace basin::runtime
