// The portable arithmetic's parts against their definitions: the matrix
// product against a plain loop that follows the canonical order with
// std::fma, on every instruction set this CPU runs and across block edges;
// the math functions against glibc in double precision, and their vector
// clones against the scalar functions bit for bit.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <tuple>
#include <vector>

#include "blocked_conv.hpp"
#include "elementwise_loops.hpp"
#include "fast_math.hpp"
#include "portable_gemm.hpp"
#include "portable_map.hpp"
#include "portable_math.hpp"

using namespace basin::infer;

namespace {

// The definition in portable_gemm.hpp, written as plainly as possible.
void reference(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
               int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      float acc = 0.0f;
      for (int64_t k = 0; k < K; ++k) {
        const float a = ta ? A[k * lda + i] : A[i * lda + k];
        const float b = tb ? B[j * ldb + k] : B[k * ldb + j];
        acc = std::fma(a, b, acc);
      }
      float& c = C[i * ldc + j];
      c = beta == 0.0f ? alpha * acc : beta * c + alpha * acc;
    }
}

std::vector<Isa> available() {
  std::vector<Isa> r;
  for (Isa isa : {Isa::scalar, Isa::avx2, Isa::avx512})
    if (isa_available(isa)) r.push_back(isa);
  return r;
}

}  // namespace

TEST(PortableGemm, EveryCloneFollowsTheCanonicalOrder) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-1, 1);
  struct Case {
    int64_t M, N, K;
    bool ta, tb;
    float alpha, beta;
  };
  // Sizes on both sides of the micro-tile (6 or 12 rows x 16 or 32 columns)
  // and block (96 x 1024 x 256) edges, narrow products (5 to 16 columns),
  // K = 0 and 1, transposes, alpha and beta.
  const Case cases[] = {{1, 1, 1, false, false, 1, 0},        {7, 17, 3, false, true, 1, 0},
                        {6, 32, 256, false, false, 1, 0},     {97, 33, 257, true, false, 1, 1},
                        {13, 1030, 40, false, true, 0.5f, 0}, {100, 70, 513, true, true, 1, 0.25f},
                        {5, 9, 0, false, false, 1, 1},        {128, 64, 784, false, true, 1, 1},
                        {30, 16, 300, false, false, 1, 0},    {50, 5, 257, true, true, 1, 0.5f},
                        {25, 8, 9, false, true, 2, 0}};
  for (const Case& c : cases) {
    const int64_t lda = (c.ta ? c.M : c.K) + 3, ldb = (c.tb ? c.K : c.N) + 1, ldc = c.N + 2;
    std::vector<float> A(size_t((c.ta ? c.K : c.M) * lda + 1)),
        B(size_t((c.tb ? c.N : c.K) * ldb + 1)), C0(size_t(c.M * ldc));
    for (auto& v : A) v = u(rng);
    for (auto& v : B) v = u(rng);
    for (auto& v : C0) v = u(rng);
    std::vector<float> want = C0;
    reference(c.ta, c.tb, c.M, c.N, c.K, c.alpha, A.data(), lda, B.data(), ldb, c.beta, want.data(),
              ldc);
    for (Isa isa : available()) {
      std::vector<float> got = C0;
      portable_sgemm(isa, c.ta, c.tb, c.M, c.N, c.K, c.alpha, A.data(), lda, B.data(), ldb, c.beta,
                     got.data(), ldc);
      EXPECT_EQ(got, want) << isa_name(isa) << " M=" << c.M << " N=" << c.N << " K=" << c.K
                           << " ta=" << c.ta << " tb=" << c.tb;
    }
  }
}

// Weights packed once give the bits of the unpacked product.
TEST(PortableGemm, PackedWeightsGiveTheSameBits) {
  std::mt19937 rng(4);
  std::uniform_real_distribution<float> u(-1, 1);
  for (auto [M, N, K, tb] :
       {std::tuple{1, 512, 784, true}, std::tuple{37, 1100, 300, false},
        std::tuple{6, 10, 512, true}, std::tuple{29, 16, 100, false}, std::tuple{3, 7, 20, true}}) {
    std::vector<float> A(size_t(M * K)), B(size_t(N * K)), C0(size_t(M * N));
    for (auto& v : A) v = u(rng);
    for (auto& v : B) v = u(rng);
    for (auto& v : C0) v = u(rng);
    const int64_t ldb = tb ? K : N;
    for (Isa isa : available()) {
      std::vector<float> want = C0, got = C0;
      portable_sgemm(isa, false, tb, M, N, K, 1, A.data(), K, B.data(), ldb, 1, want.data(), N);
      const PackedMatrix packed(isa, tb, K, N, B.data(), ldb);
      portable_sgemm_packed(packed, false, M, 1, A.data(), K, 1, got.data(), N);
      EXPECT_EQ(got, want) << isa_name(isa) << " M=" << M << " N=" << N << " K=" << K;
      // A row added as the product stores it (a bias): the product, then
      // the addition, bit for bit (whole tiles and the narrow last one).
      std::vector<float> bias(static_cast<size_t>(N)), with(static_cast<size_t>(M * N));
      for (auto& v : bias) v = u(rng);
      portable_sgemm(isa, false, tb, M, N, K, 1, A.data(), K, B.data(), ldb, 0, want.data(), N);
      for (int64_t i = 0; i < M; ++i)
        for (int64_t j = 0; j < N; ++j) want[size_t(i * N + j)] += bias[size_t(j)];
      portable_sgemm_packed(packed, false, M, 1, A.data(), K, 0, with.data(), N, bias.data());
      EXPECT_EQ(with, want) << isa_name(isa) << " with a row added, M=" << M << " N=" << N;
    }
  }
}

// A row's result does not depend on how many rows are multiplied with it.
TEST(PortableGemm, RowIndependentOfRowCount) {
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> u(-1, 1);
  const int64_t N = 50, K = 300;
  std::vector<float> A(size_t(40 * K)), B(size_t(K * N));
  for (auto& v : A) v = u(rng);
  for (auto& v : B) v = u(rng);
  std::vector<float> all(size_t(40 * N));
  portable_sgemm(Isa::native, false, false, 40, N, K, 1, A.data(), K, B.data(), N, 0, all.data(),
                 N);
  for (int64_t i = 0; i < 40; i += 13) {
    std::vector<float> one(static_cast<size_t>(N));
    portable_sgemm(Isa::native, false, false, 1, N, K, 1, A.data() + i * K, K, B.data(), N, 0,
                   one.data(), N);
    EXPECT_TRUE(std::equal(one.begin(), one.end(), all.begin() + i * N)) << "row " << i;
  }
}

// Each function within a few float ulps of glibc's double-precision value
// (rounded to float), over its useful range, with the special values right.
TEST(PortableMath, CloseToLibmInDouble) {
  auto ulps = [](float got, double want) {
    const float w = float(want);
    if (got == w) return 0.0;
    const double ulp = std::abs(double(std::nextafter(w, INFINITY)) - double(w));
    return std::abs(double(got) - want) / (ulp > 0 ? ulp : 1e-45);
  };
  double worst[5] = {};
  std::mt19937 rng(2);
  std::uniform_real_distribution<float> wide(-87, 88), mid(-6, 6), pos(1e-30f, 1e30f);
  for (int k = 0; k < 200000; ++k) {
    const float x = wide(rng), m = mid(rng);
    const float p = k % 2 ? pos(rng) : std::ldexp(std::abs(m), -(k % 120));
    worst[0] = std::max(worst[0], ulps(pmath::expf(x), std::exp(double(x))));
    if (p > 0) worst[1] = std::max(worst[1], ulps(pmath::logf(p), std::log(double(p))));
    worst[2] = std::max(worst[2], ulps(pmath::erff(m), std::erf(double(m))));
    worst[3] = std::max(worst[3], ulps(pmath::tanhf(m), std::tanh(double(m))));
    worst[4] = std::max(
        worst[4], ulps(float(pmath::pow(std::abs(m), 1.7)), std::pow(std::abs(double(m)), 1.7)));
  }
  const char* names[] = {"exp", "log", "erf", "tanh", "pow"};
  for (int f = 0; f < 5; ++f) EXPECT_LE(worst[f], 1.0) << names[f];
  EXPECT_EQ(pmath::expf(-200.0f), 0.0f);
  EXPECT_EQ(pmath::expf(100.0f), INFINITY);
  EXPECT_TRUE(std::isnan(pmath::expf(NAN)));
  EXPECT_EQ(pmath::logf(0.0f), -INFINITY);
  EXPECT_TRUE(std::isnan(pmath::logf(-1.0f)));
  EXPECT_EQ(pmath::logf(1.0f), 0.0f);
  EXPECT_EQ(pmath::erff(5.0f), 1.0f);
  EXPECT_EQ(pmath::tanhf(-30.0f), -1.0f);
  EXPECT_EQ(pmath::tanhf(1e-30f), 1e-30f);
  EXPECT_EQ(pmath::pow(3.0, 2.0), 9.0);
  EXPECT_EQ(pmath::pow(-2.0, 3.0), -8.0);
  EXPECT_TRUE(std::isnan(pmath::pow(-2.0, 0.5)));
  EXPECT_EQ(pmath::pow(0.0, -1.0), INFINITY);
}

// Every clone of the array functions gives the scalar function's bits: on a
// sweep through all float bit patterns (every 4093rd: signs, subnormals,
// infinities, NaNs with payloads) and on the edges of each function's
// branches, in arrays whose length leaves a tail for the scalar code.
TEST(PortableMap, EveryCloneGivesTheScalarBits) {
  std::vector<float> xs;
  for (uint64_t u = 0; u < (uint64_t(1) << 32); u += 4093) {
    float f;
    const auto bits = uint32_t(u);
    std::memcpy(&f, &bits, sizeof f);
    xs.push_back(f);
  }
  for (float edge : {0.0f,    -0.0f,    4.0f,    -4.0f,    3.9999998f, -3.9999998f, 0.125f,
                     0.0625f, -0.0625f, 88.72f,  88.73f,   -87.3f,     -103.9f,     -708.0f,
                     -708.4f, -720.0f,  -745.1f, -745.2f,  -745.3f,    709.7f,      709.78f,
                     709.8f,  1e-30f,   -1e-45f, INFINITY, -INFINITY,  NAN,         -NAN})
    for (float d : {0.0f, 1e-7f, -1e-7f}) xs.push_back(edge + d * edge), xs.push_back(edge + d);
  for (int k = -64; k <= 64; ++k) xs.push_back(float(k) / 16.0f);
  xs.push_back(1.5f);  // an odd length: the last elements are a tail
  std::vector<float> want(xs.size()), got(xs.size());
  for (MathFn f : {MathFn::exp, MathFn::erf}) {
    for (size_t k = 0; k < xs.size(); ++k)
      want[k] = f == MathFn::exp ? pmath::expf(xs[k]) : pmath::erff(xs[k]);
    for (Isa isa : available()) {
      portable_map(isa, f, xs.data(), got.data(), int64_t(xs.size()));
      size_t differ = 0, first = 0;
      for (size_t k = 0; k < xs.size(); ++k)
        if (std::memcmp(&want[k], &got[k], sizeof(float)) != 0 && differ++ == 0) first = k;
      EXPECT_EQ(differ, 0u) << isa_name(isa) << (f == MathFn::exp ? " exp" : " erf") << ": "
                            << differ << " values differ, first x = " << xs[first] << " ("
                            << want[first] << " expected, " << got[first] << " found)";
    }
  }
  // In place, as the kernels call it.
  std::vector<float> inplace = xs;
  portable_map(Isa::native, MathFn::erf, inplace.data(), inplace.data(), int64_t(inplace.size()));
  for (size_t k = 0; k < xs.size(); ++k) want[k] = pmath::erff(xs[k]);
  EXPECT_EQ(std::memcmp(inplace.data(), want.data(), xs.size() * sizeof(float)), 0);
}

// The elementwise loops (Add/Sub/Mul/Div with an array, a scalar on
// either side, in place either way round, and Relu) give on every clone the
// bits of the scalar operation, NaNs, infinities, signed zeros, subnormals
// and division by zero included; lengths that leave every partial vector.
TEST(ElementwiseLoops, EveryCloneGivesTheScalarOperationsBits) {
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> a, b;
  std::mt19937 rng(29);
  std::uniform_real_distribution<float> u(-3, 3);
  for (int k = 0; k < 1000; ++k) a.push_back(u(rng)), b.push_back(u(rng));
  const std::vector<float> special = {0.0f,   -0.0f,   inf,   -inf,   std::nanf(""),
                                      1e-40f, -1e-42f, 3e38f, -3e38f, 1.0f};
  for (float p : special)
    for (float q : special) a.push_back(p), b.push_back(q);
  auto same = [](const std::vector<float>& x, const std::vector<float>& y) {
    // (memcmp must not see the null data of an empty vector.)
    return x.size() == y.size() &&
           (x.empty() || std::memcmp(x.data(), y.data(), x.size() * 4) == 0);
  };
  auto scalar_op = [](BinaryOp op, float p, float q) {
    switch (op) {
      case BinaryOp::add:
        return p + q;
      case BinaryOp::sub:
        return p - q;
      case BinaryOp::mul:
        return p * q;
      default:
        return p / q;
    }
  };
  int checked = 0;
  for (Isa isa : {Isa::scalar, Isa::avx2, Isa::avx512}) {
    if (!isa_available(isa)) continue;
    for (int64_t n : {int64_t(a.size()), int64_t(37), int64_t(1), int64_t(0)})
      for (BinaryOp op : {BinaryOp::add, BinaryOp::sub, BinaryOp::mul, BinaryOp::div}) {
        std::vector<float> want(static_cast<size_t>(n)), got(static_cast<size_t>(n));
        for (int64_t e = 0; e < n; ++e) want[size_t(e)] = scalar_op(op, a[size_t(e)], b[size_t(e)]);
        binary_loop(isa, op, a.data(), 1, b.data(), 1, got.data(), n);
        EXPECT_TRUE(same(got, want)) << isa_name(isa) << " array op array, n " << n;
        std::vector<float> t(a.begin(), a.begin() + n);
        binary_in_place(isa, op, true, t.data(), b.data(), 1, n);
        EXPECT_TRUE(same(t, want)) << isa_name(isa) << " in place, left, n " << n;
        for (int64_t e = 0; e < n; ++e) want[size_t(e)] = scalar_op(op, b[size_t(e)], a[size_t(e)]);
        t.assign(a.begin(), a.begin() + n);
        binary_in_place(isa, op, false, t.data(), b.data(), 1, n);
        EXPECT_TRUE(same(t, want)) << isa_name(isa) << " in place, right, n " << n;
        for (float c : special) {
          for (int64_t e = 0; e < n; ++e) want[size_t(e)] = scalar_op(op, a[size_t(e)], c);
          binary_loop(isa, op, a.data(), 1, &c, 0, got.data(), n);
          EXPECT_TRUE(same(got, want)) << isa_name(isa) << " array op scalar " << c;
          t.assign(a.begin(), a.begin() + n);
          binary_in_place(isa, op, true, t.data(), &c, 0, n);
          EXPECT_TRUE(same(t, want)) << isa_name(isa) << " in place op scalar " << c;
          for (int64_t e = 0; e < n; ++e) want[size_t(e)] = scalar_op(op, c, a[size_t(e)]);
          binary_loop(isa, op, &c, 0, a.data(), 1, got.data(), n);
          EXPECT_TRUE(same(got, want)) << isa_name(isa) << " scalar op array " << c;
        }
      }
    std::vector<float> t = a, want = a;
    for (auto& v : want) v = v > 0 ? v : 0.0f;
    relu_in_place(isa, t.data(), int64_t(t.size()));
    EXPECT_TRUE(same(t, want)) << isa_name(isa) << " relu";
    // LayerNorm: 11 rows of 100 (a partial group of eight lanes), the last
    // with an infinity; the same bits as the scalar clone.
    std::vector<float> ln(1100), ln_scalar(1100), mean(11), mean_scalar(11), inv(11),
        inv_scalar(11);
    const float* sc = b.data();
    const float* bi = b.data() + 100;
    a[1050] = inf;
    layer_norm_rows(Isa::scalar, a.data(), 11, 100, sc, bi, 1e-5, ln_scalar.data(),
                    mean_scalar.data(), inv_scalar.data());
    layer_norm_rows(isa, a.data(), 11, 100, sc, bi, 1e-5, ln.data(), mean.data(), inv.data());
    EXPECT_TRUE(same(ln, ln_scalar) && same(mean, mean_scalar) && same(inv, inv_scalar))
        << isa_name(isa) << " layer norm";
    // Softmax's row around its exponentials: 100 floats (a NaN among them,
    // passed over by the maximum) and 5 (fewer than the eight lanes).
    for (int64_t n : {int64_t(100), int64_t(5)}) {
      const auto len = static_cast<size_t>(n);
      std::vector<float> row(b.begin() + 300, b.begin() + 300 + n), e(len), e_scalar(len), r(len),
          r_scalar(len);
      row[3] = std::nanf("");
      softmax_shift(Isa::scalar, row.data(), n, e_scalar.data());
      softmax_shift(isa, row.data(), n, e.data());
      EXPECT_TRUE(same(e, e_scalar)) << isa_name(isa) << " softmax shift " << n;
      for (auto& v : e_scalar) v = std::exp(std::min(v, 0.0f));
      e_scalar[3] = 0.25f;  // not the NaN: a NaN sum would hide every bit
      softmax_scale(Isa::scalar, e_scalar.data(), n, r_scalar.data());
      softmax_scale(isa, e_scalar.data(), n, r.data());
      EXPECT_TRUE(same(r, r_scalar)) << isa_name(isa) << " softmax scale " << n;
      // The definition itself: the sum in eight lanes (term m in lane m % 8,
      // the lanes added in order), then each term divided by it.
      float part[8] = {}, sum = 0;
      for (int64_t m = 0; m < n; ++m) part[m % 8] += e_scalar[size_t(m)];
      for (float p : part) sum += p;
      for (int64_t m = 0; m < n; ++m) want[size_t(m)] = e_scalar[size_t(m)] / sum;
      EXPECT_TRUE(same(r_scalar, std::vector<float>(want.begin(), want.begin() + n)))
          << "softmax scale " << n;
    }
    ++checked;
  }
  EXPECT_GE(checked, 2);
}

// The blocked 2x2 max pooling against its definition (from -inf, v > acc ?
// v : acc over the window row by row) on every clone, for the block sizes
// oneDNN's layouts use (16, 8) and one the clones take generically (4), odd
// input sizes (the last row and column dropped) and NaN, infinities and
// signed zeros among the values.
TEST(ElementwiseLoops, BlockedMaxPoolIsTheWindowsMaximumOnEveryClone) {
  const float inf = std::numeric_limits<float>::infinity();
  std::mt19937 rng(31);
  std::uniform_real_distribution<float> u(-3, 3);
  int checked = 0;
  for (int64_t B : {int64_t(16), int64_t(8), int64_t(4)}) {
    const int64_t planes = 3, H = 7, W = 9, OH = 3, OW = 4;
    std::vector<float> x(size_t(planes * H * W * B));
    for (auto& v : x) v = u(rng);
    const std::vector<float> special = {std::nanf(""), inf, -inf, 0.0f, -0.0f};
    for (size_t e = 0; e < x.size(); e += 7) x[e] = special[(e / 7) % special.size()];
    std::vector<float> want(size_t(planes * OH * OW * B));
    for (int64_t p = 0; p < planes; ++p)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow)
          for (int64_t l = 0; l < B; ++l) {
            float acc = -inf;
            for (int64_t dh = 0; dh < 2; ++dh)
              for (int64_t dw = 0; dw < 2; ++dw) {
                const float v = x[size_t(((p * H + 2 * oh + dh) * W + 2 * ow + dw) * B + l)];
                acc = v > acc ? v : acc;
              }
            want[size_t(((p * OH + oh) * OW + ow) * B + l)] = acc;
          }
    for (Isa isa : available()) {
      std::vector<float> got(want.size(), 42.0f);
      max_pool_2x2_blocked(isa, x.data(), got.data(), planes, H, W, OH, OW, B);
      EXPECT_EQ(0, std::memcmp(got.data(), want.data(), got.size() * 4))
          << isa_name(isa) << " block " << B;
      ++checked;
    }
  }
  EXPECT_GE(checked, 6);
}

// x with `special` appended, through fn on the widest clone; every other
// clone this CPU runs must give the same bits.
static std::vector<float> fast_math_on_every_clone(void (*fn)(Isa, const float*, float*, int64_t),
                                                   std::vector<float>& x,
                                                   const std::vector<float>& special) {
  x.insert(x.end(), special.begin(), special.end());
  std::vector<float> native(x.size());
  fn(Isa::native, x.data(), native.data(), int64_t(x.size()));
  for (Isa isa : {Isa::scalar, Isa::avx2, Isa::avx512}) {
    if (!isa_available(isa)) continue;
    std::vector<float> y(x.size());
    fn(isa, x.data(), y.data(), int64_t(y.size()));
    EXPECT_EQ(0, std::memcmp(y.data(), native.data(), y.size() * 4)) << isa_name(isa);
  }
  return native;
}

// Fast arithmetic's erf: within 3 ulp and 2.5e-7 of erf (computed in double)
// for every 251st float bit pattern in [-5, 5] (1.1M floats, both signs) and
// every float within 4096 of the two pieces' edges, the special values
// exact, and every clone this CPU runs giving the same bits.
TEST(FastMath, ErfWithinThreeUlpOnEveryClone) {
  std::vector<float> x;
  auto bits_of = [](float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
  };
  auto add = [&](uint32_t u) {
    float f;
    std::memcpy(&f, &u, 4);
    x.push_back(f), x.push_back(-f);
  };
  for (uint32_t u = 0; u < bits_of(5.0f); u += 251) add(u);
  for (float edge : {0.921875f, 3.925f})
    for (uint32_t u = bits_of(edge) - 4096; u < bits_of(edge) + 4096; ++u) add(u);
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> special = {0.0f,   -0.0f,  inf,     -inf,      1e30f,
                                      -1e30f, 3.925f, -3.925f, 0.921875f, std::nanf("")};
  const std::vector<float> native = fast_math_on_every_clone(fast_erf, x, special);
  double worst_abs = 0, worst_ulp = 0;
  for (size_t k = 0; k + special.size() < x.size(); ++k) {
    const double ref = std::erf(double(x[k]));
    const double err = std::abs(double(native[k]) - ref);
    const double ulp = std::nextafter(float(std::abs(ref)), 2.0f) - float(std::abs(ref));
    worst_abs = std::max(worst_abs, err);
    if (ref != 0) worst_ulp = std::max(worst_ulp, err / ulp);
  }
  EXPECT_LE(worst_abs, 2.5e-7);
  EXPECT_LE(worst_ulp, 3.0);
  const size_t s0 = x.size() - special.size();
  EXPECT_EQ(std::signbit(native[s0]), false);
  EXPECT_EQ(native[s0], 0.0f);
  EXPECT_TRUE(std::signbit(native[s0 + 1]));
  EXPECT_EQ(native[s0 + 2], 1.0f);
  EXPECT_EQ(native[s0 + 3], -1.0f);
  EXPECT_EQ(native[s0 + 4], 1.0f);
  EXPECT_EQ(native[s0 + 5], -1.0f);
  EXPECT_TRUE(std::isnan(native.back()));
}

// Fast arithmetic's exp (Softmax): within 2 ulp of exp (computed in double)
// for every 389th float bit pattern in [-104, 89], within one step of the
// smallest subnormal where the result is subnormal, 0 and +inf beyond, NaN
// kept, every clone this CPU runs giving the same bits.
TEST(FastMath, ExpWithinTwoUlpOnEveryClone) {
  std::vector<float> x;
  auto add_range = [&](float lo, float hi) {
    uint32_t a, b;
    std::memcpy(&a, &lo, 4), std::memcpy(&b, &hi, 4);
    for (uint32_t u = a; u < b; u += 389) {
      float f;
      std::memcpy(&f, &u, 4);
      x.push_back(f), x.push_back(-f);
    }
  };
  add_range(0.0f, 89.0f);
  add_range(89.0f, 104.0f);  // negative side: subnormal results
  const float inf = std::numeric_limits<float>::infinity();
  // The clamp's ends and just beyond (exp_bounds: [-104, 89], no select
  // after it, so these must round to 0 and overflow to +inf by themselves).
  const std::vector<float> special = {-inf,   inf,   -200.0f, 100.0f, -104.0f, -104.5f,
                                      88.75f, 88.8f, 89.0f,   89.5f,  0.0f,    std::nanf("")};
  const std::vector<float> native = fast_math_on_every_clone(fast_exp, x, special);
  double worst_ulp = 0, worst_subnormal = 0;
  for (size_t k = 0; k + special.size() < x.size(); ++k) {
    const double ref = std::exp(double(x[k]));
    const double err = std::abs(double(native[k]) - ref);
    if (ref > double(std::numeric_limits<float>::max())) {
      EXPECT_EQ(native[k], inf) << x[k];
    } else if (ref >= double(std::numeric_limits<float>::min())) {
      const float r = float(ref);
      worst_ulp = std::max(worst_ulp, err / double(std::nextafter(r, inf) - r));
    } else {
      worst_subnormal =
          std::max(worst_subnormal, err / double(std::numeric_limits<float>::denorm_min()));
    }
  }
  EXPECT_LE(worst_ulp, 2.0);
  EXPECT_LE(worst_subnormal, 1.0);
  const size_t s0 = x.size() - special.size();
  EXPECT_EQ(native[s0], 0.0f);
  EXPECT_EQ(native[s0 + 1], inf);
  EXPECT_EQ(native[s0 + 2], 0.0f);
  EXPECT_EQ(native[s0 + 3], inf);
  for (size_t k = 4; k < 6; ++k) EXPECT_EQ(native[s0 + k], 0.0f) << special[k];
  for (size_t k = 6; k < 10; ++k) EXPECT_EQ(native[s0 + k], inf) << special[k];
  EXPECT_EQ(native[s0 + 10], 1.0f);
  EXPECT_TRUE(std::isnan(native.back()));
}

// Fast arithmetic's GELU in one pass (fast_gelu) has the bits of its nodes
// run one by one: x / c (or x * c), fast_erf, + a, times x, times h, each
// rounded to float; on every clone, in place and not, for both forms, on a
// length that leaves a tail after the blocks, with special values.
TEST(FastMath, GeluInOnePassIsItsNodesBitForBit) {
  std::mt19937 rng(16);
  std::normal_distribution<float> nd(0.0f, 3.0f);
  std::vector<float> x(4096 + 29);
  for (auto& v : x) v = nd(rng);
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> special = {0.0f,
                                      -0.0f,
                                      inf,
                                      -inf,
                                      1e30f,
                                      -1e30f,
                                      std::nanf(""),
                                      1e-40f,
                                      3.925f * 1.41421354f,
                                      0.921875f * 1.41421354f};
  std::copy(special.begin(), special.end(), x.begin() + 100);
  for (const GeluForm form :
       {GeluForm{}, GeluForm{false, 0.70710677f, 1.0f, 0.5f}, GeluForm{true, 1.5f, 2.0f, 0.25f}}) {
    std::vector<float> want(x.size());
    for (size_t k = 0; k < x.size(); ++k)
      want[k] = form.divide ? x[k] / form.scale : x[k] * form.scale;
    fast_erf(Isa::native, want.data(), want.data(), int64_t(want.size()));
    for (size_t k = 0; k < x.size(); ++k) want[k] = ((want[k] + form.add) * x[k]) * form.half;
    for (Isa isa : {Isa::scalar, Isa::avx2, Isa::avx512}) {
      if (!isa_available(isa)) continue;
      std::vector<float> y(x.size()), in_place = x;
      fast_gelu(isa, form, x.data(), y.data(), int64_t(x.size()));
      fast_gelu(isa, form, in_place.data(), in_place.data(), int64_t(x.size()));
      EXPECT_EQ(0, std::memcmp(y.data(), want.data(), y.size() * 4)) << isa_name(isa);
      EXPECT_EQ(0, std::memcmp(in_place.data(), want.data(), y.size() * 4)) << isa_name(isa);
    }
  }
}

// Fast arithmetic's Softmax rows (fast_softmax) are, bit for bit,
// fast_exp(a - max) times 1 / sum, the sum taken in 32 lanes (lane i % 32)
// halved pairwise; within 1e-6 relative of the softmax in double; on every
// clone, in place and not, on lengths with and without a tail after the
// 32-element blocks. A NaN or +inf makes its row NaN, -inf gives 0, a row of
// -inf is NaN (as the plain kernel's e / sum gives).
TEST(FastMath, SoftmaxRowsAreTheirExponentialsOverTheirSum) {
  std::mt19937 rng(17);
  std::normal_distribution<float> nd(0.0f, 8.0f);
  const float inf = std::numeric_limits<float>::infinity(), nan = std::nanf("");
  for (const int64_t n : {1, 7, 32, 100, 128, 129, 1000}) {
    const int64_t rows = 6;
    std::vector<float> x(size_t(rows * n));
    for (auto& v : x) v = nd(rng);
    x[size_t(n / 2)] = -inf;                                      // row 0: one -inf
    x[size_t(1 * n + n / 3)] = nan;                               // row 1: a NaN
    x[size_t(2 * n + n - 1)] = inf;                               // row 2: +inf
    for (int64_t k = 0; k < n; ++k) x[size_t(3 * n + k)] = -inf;  // row 3: all -inf
    x[size_t(4 * n)] = 200.0f;                                    // row 4: exponentials below -104
    std::vector<float> want(x.size());
    for (int64_t r = 0; r < rows; ++r) {
      const float* a = x.data() + r * n;
      float* w = want.data() + r * n;
      float mx = -inf;
      for (int64_t k = 0; k < n; ++k) mx = mx < a[k] ? a[k] : mx;
      for (int64_t k = 0; k < n; ++k) w[k] = a[k] - mx;
      fast_exp(Isa::scalar, w, w, n);
      float lane[32] = {};
      for (int64_t k = 0; k < n; ++k) lane[k % 32] += w[k];
      for (int h = 16; h > 0; h /= 2)
        for (int k = 0; k < h; ++k) lane[k] += lane[k + h];
      const float inverse = 1.0f / lane[0];
      for (int64_t k = 0; k < n; ++k) w[k] *= inverse;
    }
    for (Isa isa : {Isa::scalar, Isa::avx2, Isa::avx512}) {
      if (!isa_available(isa)) continue;
      std::vector<float> y(x.size()), in_place = x;
      fast_softmax(isa, x.data(), y.data(), rows, n);
      fast_softmax(isa, in_place.data(), in_place.data(), rows, n);
      EXPECT_EQ(0, std::memcmp(y.data(), want.data(), y.size() * 4)) << isa_name(isa) << " " << n;
      EXPECT_EQ(0, std::memcmp(in_place.data(), want.data(), y.size() * 4))
          << isa_name(isa) << " " << n;
    }
    // Against the softmax in double of the rounded differences a - max
    // (float's own rounding there, about |a - max| 2^-24 relative in the
    // exponential, is every float softmax's).
    for (int64_t r : {0, 4, 5}) {
      if (n == 1 && r == 0) continue;  // a row of one -inf
      const float* a = x.data() + r * n;
      float mx = -inf;
      double sum = 0;
      for (int64_t k = 0; k < n; ++k) mx = std::max(mx, a[k]);
      for (int64_t k = 0; k < n; ++k) sum += std::exp(double(a[k] - mx));
      for (int64_t k = 0; k < n; ++k) {
        const double ref = std::exp(double(a[k] - mx)) / sum;
        const float got = want[size_t(r * n + k)];
        if (ref < 1e-30)
          EXPECT_LE(got, 1e-30f);
        else
          EXPECT_NEAR(got, ref, 1e-6 * ref) << n << " " << r << " " << k;
      }
    }
    for (int64_t k = 0; k < n; ++k) {
      EXPECT_TRUE(std::isnan(want[size_t(1 * n + k)])) << n;
      EXPECT_TRUE(std::isnan(want[size_t(2 * n + k)])) << n;
      EXPECT_TRUE(std::isnan(want[size_t(3 * n + k)])) << n;
    }
    if (n > 1) {
      EXPECT_EQ(want[size_t(n / 2)], 0.0f);
    }
  }
}

// Fast arithmetic's own blocked convolution (blocked_conv.hpp) against the
// convolution's definition in double precision, on channels in blocks of 8:
// tiles that span output rows and rows that do not divide into tiles,
// strides of 1 and 2, a tall window, pads on one side only, several channel
// blocks in and pairs of blocks out, with and without bias, residual and
// Relu; a NaN input makes its outputs NaN, and 0 after the Relu (as the
// plain Relu makes it).
TEST(FastConv, BlockedLoopIsTheConvolutionWithinRounding) {
  struct Case {
    BlockedConvShape s;
    int64_t PB, PR;  // bottom and right pads
    bool bias, sum, relu;
  };
  const Case cases[] = {
      {{16, 7, 7, 32, 7, 7, 3, 3, 1, 1, 1, 1}, 1, 1, true, true, true},
      {{24, 9, 11, 16, 5, 6, 3, 3, 2, 2, 1, 1}, 1, 1, false, false, true},
      {{8, 5, 13, 16, 5, 6, 5, 3, 1, 2, 2, 0}, 2, 1, true, false, false},
      {{8, 1, 9, 48, 1, 9, 1, 1, 1, 1, 0, 0}, 0, 0, true, true, false},
  };
  if (!BlockedConv::supports(cases[0].s)) GTEST_SKIP() << "no AVX2 + FMA on this CPU";
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> u(-1, 1);
  for (const Case& k : cases) {
    const BlockedConvShape& s = k.s;
    ASSERT_TRUE(BlockedConv::supports(s));
    ASSERT_EQ(s.OH, (s.H + s.PT + k.PB - s.KH) / s.SH + 1);
    ASSERT_EQ(s.OW, (s.W + s.PL + k.PR - s.KW) / s.SW + 1);
    const int64_t N = 2;
    std::vector<float> w(size_t(s.M * s.C * s.KH * s.KW)), bias, x(size_t(N * s.C * s.H * s.W));
    for (auto& v : w) v = u(rng);
    for (auto& v : x) v = u(rng);
    if (k.bias)
      bias.resize(size_t(s.M)), std::generate(bias.begin(), bias.end(), [&] { return u(rng); });
    // Blocked offsets: channel c of image n at ((n C/8 + c/8) H + h) W + w, lane c % 8.
    auto xat = [&](int64_t n, int64_t c, int64_t h, int64_t ww) {
      return size_t((((n * (s.C / 8) + c / 8) * s.H + h) * s.W + ww) * 8 + c % 8);
    };
    auto yat = [&](int64_t n, int64_t m, int64_t h, int64_t ww) {
      return size_t((((n * (s.M / 8) + m / 8) * s.OH + h) * s.OW + ww) * 8 + m % 8);
    };
    // A NaN in image 1, channel 3, row 0, column 1.
    x[xat(1, 3, 0, 1)] = std::numeric_limits<float>::quiet_NaN();
    std::vector<float> y(size_t(N * s.M * s.OH * s.OW));
    for (auto& v : y) v = u(rng);
    const std::vector<float> residual = y;
    BlockedConv conv(s, w.data(), bias, k.relu);
    conv.run(x.data(), y.data(), N, k.sum);
    int64_t checked = 0, nans = 0;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t m = 0; m < s.M; ++m)
        for (int64_t oh = 0; oh < s.OH; ++oh)
          for (int64_t ow = 0; ow < s.OW; ++ow) {
            double acc = 0, size = 0;
            bool nan = false;
            for (int64_t c = 0; c < s.C; ++c)
              for (int64_t kh = 0; kh < s.KH; ++kh)
                for (int64_t kw = 0; kw < s.KW; ++kw) {
                  const int64_t h = oh * s.SH + kh - s.PT, ww = ow * s.SW + kw - s.PL;
                  if (h < 0 || h >= s.H || ww < 0 || ww >= s.W) continue;
                  const double xv = x[xat(n, c, h, ww)];
                  const double term = xv * w[size_t(((m * s.C + c) * s.KH + kh) * s.KW + kw)];
                  nan = nan || std::isnan(xv);
                  acc += term, size += std::abs(term);
                }
            double want = acc + (k.bias ? bias[size_t(m)] : 0.0);
            if (k.sum) want += residual[yat(n, m, oh, ow)];
            const float got = y[yat(n, m, oh, ow)];
            if (nan) {
              ++nans;
              if (k.relu)
                EXPECT_EQ(got, 0.0f);
              else
                EXPECT_TRUE(std::isnan(got));
              continue;
            }
            if (k.relu) want = std::max(want, 0.0);
            ASSERT_NEAR(got, want, 1e-5 * (size + 1))
                << "case C=" << s.C << " at image " << n << ", channel " << m << ", (" << oh << ", "
                << ow << ")";
            ++checked;
          }
    EXPECT_GT(nans, 0);
    EXPECT_GT(checked, N * s.M * s.OH * s.OW / 2);
  }
}
