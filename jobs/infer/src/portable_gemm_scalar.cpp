// The baseline clone: eight lanes emulated, each with a correctly rounded
// fmaf, so it gives the bits of the vector clones on any x86-64 CPU.
#include "portable_gemm_clones.hpp"

namespace basin::infer::portable {
#include "portable_conv_kernel.inc"
#include "portable_depthwise_kernel.inc"
#include "portable_gemm_kernel.inc"

namespace {
struct Lanes8 {
  static constexpr int W = 8;
  static constexpr int MR = 6;
  struct reg {
    float v[W];
  };
  static reg zero() { return reg{}; }
  static reg load(const float* p) {
    reg r;
    for (int l = 0; l < W; ++l) r.v[l] = p[l];
    return r;
  }
  static void store(float* p, const reg& r) {
    for (int l = 0; l < W; ++l) p[l] = r.v[l];
  }
  // The first n lanes (0 < n < W).
  static void store_part(float* p, const reg& r, int64_t n) {
    for (int64_t l = 0; l < n; ++l) p[l] = r.v[l];
  }
  static reg bcast(float x) {
    reg r;
    for (int l = 0; l < W; ++l) r.v[l] = x;
    return r;
  }
  static reg fma(const reg& a, const reg& b, const reg& c) {
    reg r;
    for (int l = 0; l < W; ++l) r.v[l] = __builtin_fmaf(a.v[l], b.v[l], c.v[l]);
    return r;
  }
  static reg add(const reg& a, const reg& b) {
    reg r;
    for (int l = 0; l < W; ++l) r.v[l] = a.v[l] + b.v[l];
    return r;
  }
  // a > b ? a : b and a < b ? a : b, lane by lane, as MAXPS and MINPS.
  static reg max(const reg& a, const reg& b) {
    reg r;
    for (int l = 0; l < W; ++l) r.v[l] = a.v[l] > b.v[l] ? a.v[l] : b.v[l];
    return r;
  }
  static reg min(const reg& a, const reg& b) {
    reg r;
    for (int l = 0; l < W; ++l) r.v[l] = a.v[l] < b.v[l] ? a.v[l] : b.v[l];
    return r;
  }
};
}  // namespace

int64_t packed_a_floats() {
  return kMC * kKC;
}
// The widest clone's panels (32 columns) bound every clone's B block.
int64_t packed_b_floats() {
  return ((kNC + 31) / 32) * 32 * kKC;
}

void gemm_scalar(const GemmArgs& g, float* packed_a, float* packed_b) {
  Blocked<Lanes8>::run(g, packed_a, packed_b);
}

void pack_b_scalar(const GemmArgs& g, float* out) {
  Blocked<Lanes8>::pack_all_b(g, out);
}

void depthwise_scalar(const DepthwiseArgs& a) {
  Depthwise<Lanes8>::run(a);
}

void conv_direct_scalar(const DirectConvArgs& a) {
  DirectConv<Lanes8>::run(a);
}

void depthwise_channels_scalar(const DepthwiseChannelsArgs& a) {
  DepthwiseChannels<Lanes8>::run(a);
}

}  // namespace basin::infer::portable
