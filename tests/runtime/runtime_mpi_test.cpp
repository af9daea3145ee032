// The runtime's collective parts on real ranks: halo exchange, the overlap
// split, reproducible sums and digests that equal a single rank's, and
// checkpoints that any number of ranks can continue.
#include <gtest/gtest.h>
#include <mpi.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <vector>

#include "basin/runtime/checkpoint.hpp"
#include "basin/runtime/digest.hpp"
#include "basin/runtime/halo_exchange.hpp"
#include "basin/runtime/tile_reduce.hpp"

namespace rt = basin::runtime;

namespace {

double value_at(int z, int y, int x) {
  return std::sin(0.1 * z + 0.01 * y * y) * 1e3 + x * 1e-7;
}

void fill(rt::Field& f) {
  const auto& b = f.box();
  for (int k = 0; k < b.size[0]; ++k)
    for (int j = 0; j < b.size[1]; ++j)
      for (int i = 0; i < b.size[2]; ++i)
        f.at(k, j, i) = value_at(b.begin[0] + k, b.begin[1] + j, b.begin[2] + i);
}

int world_rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

// x = 125: unsplit or split in two, the rows (127, 64 or 65 doubles with the
// halo) are padded to whole cache lines (stored_row_length); in four, not.
const rt::Extent kGrid{{9, 13, 125}};

}  // namespace

class SplitDims : public ::testing::TestWithParam<int> {};

TEST_P(SplitDims, HaloHoldsTheNeighboursValues) {
  rt::Decomposition dec(MPI_COMM_WORLD, kGrid, GetParam());
  rt::Field f("f", dec.local(), 1);
  fill(f);
  const auto& b = dec.local();
  // A row's padding (if any) is never written: mark it and check it after.
  const int row = f.storage()[2];
  EXPECT_EQ(row, rt::stored_row_length(b.size[2] + 2));
  EXPECT_EQ(f.stride_y(), row);
  const double mark = -12345.5;
  for (int k = -1; k <= b.size[0]; ++k)
    for (int j = -1; j <= b.size[1]; ++j)
      for (int i = b.size[2] + 1; i < row - 1; ++i) f.at(k, j, i) = mark;
  rt::HaloExchange halo(dec, f);
  halo.exchange(f);
  for (int k = -1; k <= b.size[0]; ++k)
    for (int j = -1; j <= b.size[1]; ++j)
      for (int i = b.size[2] + 1; i < row - 1; ++i) ASSERT_EQ(f.at(k, j, i), mark);
  // Every face cell of the halo next to a neighbour holds that neighbour's value.
  int checked = 0;
  for (int d = 0; d < 3; ++d)
    for (int side = 0; side < 2; ++side) {
      if (dec.neighbour(d, side) == MPI_PROC_NULL) continue;
      for (int a = 0; a < b.size[(d + 1) % 3]; ++a)
        for (int c = 0; c < b.size[(d + 2) % 3]; ++c) {
          std::array<int, 3> l{};
          l[d] = side == 0 ? -1 : b.size[d];
          l[(d + 1) % 3] = a;
          l[(d + 2) % 3] = c;
          EXPECT_EQ(f.at(l[0], l[1], l[2]),
                    value_at(b.begin[0] + l[0], b.begin[1] + l[1], b.begin[2] + l[2]));
          ++checked;
        }
    }
  int total = 0;
  MPI_Allreduce(&checked, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  int ranks = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  if (ranks > 1) {
    EXPECT_GT(total, 0);
  }
}

// A raw array with other halo widths per dimension (none, 2, 3) exchanged
// along x only, periodically over a ring of all ranks (as the weather core
// does): the x halos hold the neighbours' edge columns, every other halo
// cell (z halos, corners) is left as it was.
TEST(HaloShape, WidthsPerDimensionAndAPeriodicRing) {
  int rank = 0, ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  const std::array<int, 3> owned{3, 5, 4}, halo{0, 2, 3};
  const int sy = owned[1] + 2 * halo[1], sx = owned[2] + 2 * halo[2];
  constexpr double kUntouched = -1;
  std::vector<double> a(std::size_t(owned[0]) * sy * sx, kUntouched);
  auto at = [&](int v, int k, int i) -> double& {
    return a[(std::size_t(v) * sy + std::size_t(k + halo[1])) * sx + std::size_t(i + halo[2])];
  };
  // Owned cell (v, k, i) of rank r holds v * 1e4 + k * 1e2 + global x.
  const int nx = owned[2];
  auto value = [&](int v, int k, int gx) { return v * 1e4 + k * 1e2 + gx; };
  for (int v = 0; v < owned[0]; ++v)
    for (int k = 0; k < owned[1]; ++k)
      for (int i = 0; i < nx; ++i) at(v, k, i) = value(v, k, rank * nx + i);
  const int left = (rank - 1 + ranks) % ranks, right = (rank + 1) % ranks;
  rt::HaloExchange x_faces(
      MPI_COMM_WORLD, {owned, halo},
      {{{MPI_PROC_NULL, MPI_PROC_NULL}, {MPI_PROC_NULL, MPI_PROC_NULL}, {left, right}}});
  x_faces.exchange(a.data());
  const int total = ranks * nx;
  for (int v = 0; v < owned[0]; ++v)
    for (int k = -halo[1]; k < owned[1] + halo[1]; ++k)
      for (int i = -halo[2]; i < nx + halo[2]; ++i) {
        const bool z_halo = k < 0 || k >= owned[1], x_halo = i < 0 || i >= nx;
        if (!x_halo) continue;  // owned, or a z halo above owned cells: not exchanged
        const double want = z_halo ? kUntouched : value(v, k, (rank * nx + i + total) % total);
        EXPECT_EQ(at(v, k, i), want) << "rank " << rank << " v " << v << " k " << k << " i " << i;
      }
  for (int v = 0; v < owned[0]; ++v)
    for (int i = 0; i < nx; ++i) {
      EXPECT_EQ(at(v, -1, i), kUntouched);
      EXPECT_EQ(at(v, owned[1], i), kUntouched);
    }
}

TEST_P(SplitDims, OverlapSplitCoversEachCellOnce) {
  rt::Decomposition dec(MPI_COMM_WORLD, kGrid, GetParam());
  const auto s = rt::split_for_overlap(dec, 1);
  const auto& b = dec.local();
  std::vector<int> hits(std::size_t(b.cells()), 0);
  auto mark = [&](const rt::Box& x) {
    for (int k = x.begin[0]; k < x.begin[0] + x.size[0]; ++k)
      for (int j = x.begin[1]; j < x.begin[1] + x.size[1]; ++j)
        for (int i = x.begin[2]; i < x.begin[2] + x.size[2]; ++i)
          ++hits[(std::size_t(k) * b.size[1] + j) * b.size[2] + i];
  };
  mark(s.inner);
  for (const auto& x : s.shell) mark(x);
  EXPECT_TRUE(std::all_of(hits.begin(), hits.end(), [](int h) { return h == 1; }));
}

TEST_P(SplitDims, SumsAndDigestsEqualASingleRanks) {
  rt::Decomposition dec(MPI_COMM_WORLD, kGrid, GetParam());
  rt::Field f("f", dec.local(), 1);
  fill(f);
  const double sum =
      rt::reduce_tiles<1>(dec,
                          [&](int k, int j, int i0, int n) {
                            return std::array<double, 1>{rt::tile_sum(f.row(k, j) + i0, n)};
                          })[0]
          .allreduce(dec.comm());
  const std::string digest = rt::result_digest(dec, {&f});

  // The same on rank 0 alone.
  MPI_Comm self;
  MPI_Comm_split(MPI_COMM_WORLD, world_rank() == 0 ? 0 : MPI_UNDEFINED, 0, &self);
  double one_sum = 0;
  char one_digest[128] = {};
  if (world_rank() == 0) {
    rt::Decomposition one(self, kGrid, GetParam());
    rt::Field g("f", one.local(), 1);
    fill(g);
    one_sum = rt::reduce_tiles<1>(one,
                                  [&](int k, int j, int i0, int n) {
                                    return std::array<double, 1>{rt::tile_sum(g.row(k, j) + i0, n)};
                                  })[0]
                  .allreduce(one.comm());
    const std::string d = rt::result_digest(one, {&g});
    std::copy(d.begin(), d.end(), one_digest);
    MPI_Comm_free(&self);
  }
  MPI_Bcast(&one_sum, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  MPI_Bcast(one_digest, sizeof one_digest, MPI_CHAR, 0, MPI_COMM_WORLD);
  EXPECT_EQ(sum, one_sum);  // bit for bit
  EXPECT_EQ(digest, std::string(one_digest));
  // And the digest sees a one-ulp change anywhere.
  if (dec.rank() == dec.ranks() - 1) f.at(0, 0, 0) = std::nextafter(f.at(0, 0, 0), 1e300);
  EXPECT_NE(rt::result_digest(dec, {&f}), digest);
}

INSTANTIATE_TEST_SUITE_P(Runtime, SplitDims, ::testing::Values(1, 2, 3));

// The digest's chunks (kDigestChunk cells along x) do not follow the
// decomposition: an x-only split with tiles of one cell (as the weather core
// uses) cuts chunks anywhere, and the pieces are joined on rank 0. The same
// digest as on one rank (where every chunk is whole); a one-ulp change next
// to a split, or in the middle of a rank's box, changes it.
TEST(Digest, ChunksCutByTheDecompositionAreJoined) {
  const rt::Extent grid{{3, 2, 2 * rt::kDigestChunk + 301}};
  rt::Decomposition::Rule rule;
  rule.process_grid = {1, 1, 0};
  rule.tile_cells = 1;
  rt::Decomposition dec(MPI_COMM_WORLD, grid, rule);
  rt::Field f("f", dec.local(), 1);
  fill(f);
  const std::string digest = rt::result_digest(dec, {&f});

  MPI_Comm self;
  MPI_Comm_split(MPI_COMM_WORLD, world_rank() == 0 ? 0 : MPI_UNDEFINED, 0, &self);
  char one_digest[128] = {};
  if (world_rank() == 0) {
    rt::Decomposition one(self, grid, rule);
    rt::Field g("f", one.local(), 1);
    fill(g);
    const std::string d = rt::result_digest(one, {&g});
    std::copy(d.begin(), d.end(), one_digest);
    MPI_Comm_free(&self);
  }
  MPI_Bcast(one_digest, sizeof one_digest, MPI_CHAR, 0, MPI_COMM_WORLD);
  EXPECT_EQ(digest, std::string(one_digest));
  ASSERT_GT(dec.ranks(), 1);
  // Rank 1's first cell (a piece: the split is not on a chunk boundary),
  // then the middle of the last rank's box.
  for (const int changer : {1, dec.ranks() - 1}) {
    const std::string before = rt::result_digest(dec, {&f});
    if (dec.rank() == changer) {
      const int i = changer == 1 ? 0 : dec.local().size[2] / 2;
      f.at(1, 1, i) = std::nextafter(f.at(1, 1, i), 1e300);
    }
    EXPECT_NE(rt::result_digest(dec, {&f}), before) << "change on rank " << changer;
  }
}

TEST(Checkpoint, AnyRankCountContinuesAndMismatchesAreRefused) {
  std::string dir = "/tmp/basin-ckpt-test";
  if (world_rank() == 0) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  rt::Decomposition dec(MPI_COMM_WORLD, kGrid, 3);
  rt::Field f("f", dec.local(), 1);
  fill(f);
  rt::CheckpointStore store(dir, {"test", kGrid, "a=1\n"}, dec);
  for (int step : {10, 20, 30}) store.save({step, {{"energy", 0.25 * step}}}, {&f});
  if (world_rank() == 0) {
    EXPECT_EQ(store.list().size(), 2u);  // only the newest two kept
  }

  // Read back on a 1-dimensional split.
  rt::Decomposition other(MPI_COMM_WORLD, kGrid, 1);
  rt::Field g("f", other.local(), 1);
  rt::CheckpointStore again(dir, {"test", kGrid, "a=1\n"}, other);
  std::vector<std::string> notes;
  const auto st = again.load_latest({&g}, notes);
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->step, 30);
  EXPECT_EQ(st->scalars.at("energy"), 7.5);
  rt::Field expect("f", other.local(), 1);
  fill(expect);
  EXPECT_EQ(g.interior(), expect.interior());

  // Other parameters: refused with both sides named.
  rt::CheckpointStore wrong(dir, {"test", kGrid, "a=2\n"}, dec);
  notes.clear();
  try {
    wrong.load_latest({&f}, notes);
    ADD_FAILURE() << "mismatched checkpoint accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("written with other parameters"), std::string::npos);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (world_rank() == 0) std::filesystem::remove_all(dir);
}
