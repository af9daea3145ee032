// Unit tests of the runtime's pure parts: parameters, exact sums, the block rule.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <random>

#include "basin/runtime/decomposition.hpp"
#include "basin/runtime/exact_sum.hpp"
#include "basin/runtime/field.hpp"
#include "basin/runtime/memory.hpp"
#include "basin/runtime/params.hpp"

namespace rt = basin::runtime;

namespace {

std::vector<rt::ParamSpec> specs() {
  return {{"n", rt::ParamKind::integer, "8", "points", "cells", {}, 1, 100},
          {"dt", rt::ParamKind::real, "0.5", "s", "step", {}, 0, 1, false},
          {"mode", rt::ParamKind::choice, "fast", "", "mode", {"fast", "exact"}},
          {"verbose", rt::ParamKind::boolean, "false", "", "talk", {}}};
}

std::string message(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no exception)";
}

}  // namespace

TEST(Params, DefaultsThenTomlThenOverrides) {
  const std::string path = ::testing::TempDir() + "/params.toml";
  std::ofstream(path) << "n = 12\nmode = \"exact\"\n";
  const auto p = rt::Params::resolve(specs(), path, {"n=20", "verbose=yes"});
  EXPECT_EQ(p.integer("n"), 20);
  EXPECT_EQ(p.text("mode"), "exact");
  EXPECT_DOUBLE_EQ(p.real("dt"), 0.5);
  EXPECT_TRUE(p.boolean("verbose"));
  // dt does not shape the state: a checkpoint may continue with another dt.
  EXPECT_EQ(p.state_fingerprint(), "mode=exact\nn=20\nverbose=true\n");
}

TEST(Params, RefusesWithTheFixNamed) {
  EXPECT_NE(message([] {
              rt::Params::resolve(specs(), "", {"m=1"});
            }).find("unknown parameter; known: n, dt, mode, verbose"),
            std::string::npos);
  EXPECT_NE(message([] { rt::Params::resolve(specs(), "", {"n=1.5"}); }).find("not an integer"),
            std::string::npos);
  EXPECT_NE(message([] {
              rt::Params::resolve(specs(), "", {"n=101"});
            }).find("out of range; valid range 1 .. 100"),
            std::string::npos);
  EXPECT_NE(message([] {
              rt::Params::resolve(specs(), "", {"mode=slow"});
            }).find("choose one of: fast, exact"),
            std::string::npos);
  EXPECT_NE(
      message([] { rt::Params::resolve(specs(), "", {"dt=nan"}); }).find("not a finite number"),
      std::string::npos);
  const std::string path = ::testing::TempDir() + "/bad.toml";
  std::ofstream(path) << "n = 3\nn = 4\n";
  EXPECT_NE(message([&] { rt::Params::resolve(specs(), path, {}); }).find("bad.toml:2"),
            std::string::npos);
}

TEST(Params, DescribeListsDefaultsAndUnits) {
  const std::string d = rt::describe_params(specs());
  EXPECT_NE(d.find("[8 points]"), std::string::npos);
  EXPECT_NE(d.find("{fast, exact}"), std::string::npos);
}

TEST(ExactSum, IsExactWhereDoublesAreNot) {
  rt::ExactSum s;
  for (double x : {1e16, 1.0, -1e16, 1.0}) s.add(x);
  EXPECT_EQ(s.value(), 2.0);  // naive left-to-right summation gives 0 or 1
  rt::ExactSum t;
  t.add(std::ldexp(1.0, -1074));  // the smallest subnormal survives next to huge values
  t.add(1e308);
  t.add(-1e308);
  EXPECT_EQ(t.value(), std::ldexp(1.0, -1074));
}

TEST(ExactSum, OrderAndGroupingDoNotChangeTheBits) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> mant(-1, 1);
  std::uniform_int_distribution<int> ex(-60, 60);
  std::vector<double> v(20000);
  for (auto& x : v) x = std::ldexp(mant(rng), ex(rng));
  rt::ExactSum a;
  for (double x : v) a.add(x);
  std::shuffle(v.begin(), v.end(), rng);
  // Shuffled, and split into uneven groups merged in another order.
  std::vector<rt::ExactSum> parts(7);
  for (std::size_t i = 0; i < v.size(); ++i) parts[(i * i) % 7].add(v[i]);
  rt::ExactSum b;
  for (int i = 6; i >= 0; --i) b.merge(parts[std::size_t(i)]);
  EXPECT_EQ(a.value(), b.value());
  // And it is the correctly rounded sum: compare with a long double Kahan-free
  // reference computed on integers (all values are multiples of 2^-113).
  long double ref = 0;
  std::sort(v.begin(), v.end(), [](double x, double y) { return std::fabs(x) < std::fabs(y); });
  for (double x : v) ref += x;
  EXPECT_NEAR(a.value(), double(ref), std::fabs(double(ref)) * 1e-15);
}

TEST(ExactSum, SpecialValues) {
  rt::ExactSum s;
  s.add(1.0);
  s.add(INFINITY);
  EXPECT_EQ(s.value(), INFINITY);
  s.add(-INFINITY);
  EXPECT_TRUE(std::isnan(s.value()));
  rt::ExactSum z;
  EXPECT_EQ(z.value(), 0.0);
}

TEST(TileSums, FixedPattern) {
  const double a[5] = {1e16, 1, 1, 1, -1e16};
  // (s0 + s1) + (s2 + s3) with s0 = 1e16 + -1e16 = 0, s1 = s2 = s3 = 1.
  EXPECT_EQ(rt::tile_sum(a, 5), 3.0);
  EXPECT_EQ(rt::tile_dot(a, a, 2), 1e32 + 1);
}

TEST(BlockRange, CoversTheDimensionInOrder) {
  for (int n : {7, 32, 100, 257})
    for (int p = 1; p <= 5; ++p)
      for (int granule : {1, 4}) {
        if (n < p * granule) {
          continue;
        }
        int next = 0;
        for (int c = 0; c < p; ++c) {
          const auto r = rt::block_range(n, p, c, granule);
          EXPECT_EQ(r[0], next);
          EXPECT_GT(r[1], 0);
          if (c < p - 1) {
            EXPECT_EQ(r[1] % granule, 0);
          }
          next = r[0] + r[1];
        }
        EXPECT_EQ(next, n);
      }
}

// The memory a rank may use: the least of MemAvailable, the cgroup limit and
// the Slurm job's memory, with the source named.
TEST(Memory, SlurmJobMemoryIsALimit) {
  ::unsetenv("SLURM_MEM_PER_CPU");
  ::setenv("SLURM_MEM_PER_NODE", "100", 1);
  rt::MemoryLimit m = rt::available_memory(2);
  EXPECT_EQ(m.bytes, 100ull << 20);
  EXPECT_NE(m.source.find("SLURM_MEM_PER_NODE"), std::string::npos);
  ::unsetenv("SLURM_MEM_PER_NODE");
  ::setenv("SLURM_MEM_PER_CPU", "30", 1);
  ::setenv("SLURM_CPUS_PER_TASK", "2", 1);
  m = rt::available_memory(3);  // 3 tasks x 2 CPUs x 30 MB
  EXPECT_EQ(m.bytes, 180ull << 20);
  EXPECT_NE(m.source.find("SLURM_MEM_PER_CPU"), std::string::npos);
  ::unsetenv("SLURM_MEM_PER_CPU");
  ::unsetenv("SLURM_CPUS_PER_TASK");
  m = rt::available_memory(1);  // MemAvailable or a cgroup: some memory, named
  EXPECT_GT(m.bytes, 0u);
  EXPECT_FALSE(m.source.empty());
}

TEST(Field, LongRowsArePaddedToWholeCacheLines) {
  EXPECT_EQ(rt::stored_row_length(10), 10);  // short rows: not padded
  EXPECT_EQ(rt::stored_row_length(63), 63);
  EXPECT_EQ(rt::stored_row_length(64), 64);
  EXPECT_EQ(rt::stored_row_length(65), 72);
  EXPECT_EQ(rt::stored_row_length(258), 264);
  rt::Box b;
  b.size = {3, 4, 256};
  rt::Field f("f", b, 1);
  EXPECT_EQ(f.stride_y(), 264);
  EXPECT_EQ(f.stride_z(), 264 * 6);
  EXPECT_EQ(f.storage(), (std::array<int, 3>{5, 6, 264}));
  // Values round-trip through the packed interior; the padding is not in it.
  std::vector<double> v(std::size_t(b.cells()));
  for (std::size_t q = 0; q < v.size(); ++q) v[q] = double(q);
  f.set_interior(v);
  EXPECT_EQ(f.at(2, 3, 255), double(v.size() - 1));
  EXPECT_EQ(f.interior(), v);
}

TEST(Memory, FieldBytesCountHalos) {
  rt::Box b;
  b.size = {10, 20, 30};
  EXPECT_EQ(rt::field_bytes(b, 1, 2), 2ull * 12 * 22 * 32 * 8);
  b.size = {10, 20, 100};  // rows of 102 doubles are stored as 104 (whole cache lines)
  EXPECT_EQ(rt::field_bytes(b, 1, 1), 12ull * 22 * 104 * 8);
  b.size = {1 << 20, 1 << 20, 1 << 20};  // the largest grid allowed: 2^63 bytes, no overflow
  EXPECT_EQ(rt::field_bytes(b, 0, 1), (1ull << 60) * 8);
  EXPECT_EQ(rt::bytes_text(3ull << 30), "3.00 GiB");
}
