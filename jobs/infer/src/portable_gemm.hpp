// The portable matrix product: C = beta C + alpha op(A) op(B), row-major,
// with the same bits on every x86-64 CPU and from every clone (scalar,
// AVX2 + FMA, AVX-512). Element (i, j) is defined as
//
//   acc = +0; for k = 0 .. K-1: acc = fma(op(A)[i][k], op(B)[k][j], acc)
//   C[i][j] = beta * C[i][j] + alpha * acc    (beta = 0: alpha * acc)
//
// each operation rounded to float as IEEE 754 says. Nothing in it depends on
// M, N, the blocking or the position of (i, j), so a sample's row gives the
// same bits whatever the batch it is scored in.
#pragma once

#include <cstdint>
#include <vector>

#include "basin/infer/model.hpp"

namespace basin::infer {

// isa must be available (isa_available); native means native_isa().
void portable_sgemm(Isa isa, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K,
                    float alpha, const float* A, int64_t lda, const float* B, int64_t ldb,
                    float beta, float* C, int64_t ldc);

// A right-hand side packed once for many products (a layer's constant
// weights): the products then skip packing it, which at small batches costs
// as much as the arithmetic. The bits are those of portable_sgemm.
class PackedMatrix {
 public:
  // op(B) is K x N; isa as for portable_sgemm.
  PackedMatrix(Isa isa, bool trans_b, int64_t K, int64_t N, const float* B, int64_t ldb);
  Isa isa() const { return isa_; }
  int64_t rows() const { return K_; }
  int64_t cols() const { return N_; }
  const float* data() const { return data_.data(); }

 private:
  Isa isa_;
  int64_t K_, N_;
  std::vector<float> data_;
};

// C = beta C + alpha op(A) B, B packed (M x B.rows() times B.rows() x B.cols()).
// add_row (B.cols() floats), when given, is added to every row of C as the
// product stores it: C[i][j] = acc + add_row[j], the bits of the product
// followed by that addition (a bias) as a pass of its own; alpha must then be
// 1 and beta 0.
void portable_sgemm_packed(const PackedMatrix& B, bool trans_a, int64_t M, float alpha,
                           const float* A, int64_t lda, float beta, float* C, int64_t ldc,
                           const float* add_row = nullptr);

namespace portable {
struct DepthwiseArgs;
struct DepthwiseChannelsArgs;
struct DirectConvArgs;
}  // namespace portable
// A convolution group with unit horizontal stride from its padded input (see
// DirectConvArgs in portable_gemm_clones.hpp): the bits of im2col +
// portable_sgemm (W x col) without im2col's kh x kw copies of the input.
void portable_conv_direct(Isa isa, const portable::DirectConvArgs& a);
// W (M x K, row-major) as DirectConvArgs::w wants it: panels of 6 output
// channels, k-major, zero rows past M.
std::vector<float> pack_direct_weights(const float* w, int64_t M, int64_t K);
// One output channel of a depthwise convolution (see DepthwiseArgs in
// portable_gemm_clones.hpp): each output the canonical sum above over the
// kernel's taps, row-major, in the order the product gives it for im2col's
// operands, so the same bits as im2col + portable_sgemm.
void portable_depthwise(Isa isa, const portable::DepthwiseArgs& a);
// All channels of one image, channels last, multiplier 1 (see
// DepthwiseChannelsArgs): the same bits as portable_depthwise per channel.
void portable_depthwise_channels(Isa isa, const portable::DepthwiseChannelsArgs& a);

}  // namespace basin::infer
