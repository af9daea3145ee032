// infer_bench MODEL.onnx THREADS BATCH SECONDS DIM...
// Prints one JSON line: samples/s of the engine on random inputs at the given
// batch (after one warm-up batch), and the sgemm GFLOP/s OpenBLAS reaches on
// the MLP's first matrix product shape at the full batch (the ceiling the
// engine's products share; left out with INFER_BENCH_NO_SGEMM set).
// INFER_BENCH_ARITHMETIC=portable runs the portable arithmetic (default fast).
// INFER_BENCH_ISA=avx2 (or scalar, avx512) runs Basin's own kernels' clones
// for that instruction set (default native); with ONEDNN_MAX_CPU_ISA=AVX2
// beside it, the fast arithmetic runs as it would on an AVX2 CPU.
#include <cblas.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "basin/infer/batch.hpp"

extern "C" void openblas_set_num_threads(int);

using clk = std::chrono::steady_clock;

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: infer_bench MODEL.onnx THREADS BATCH SECONDS DIM...\n");
    return 2;
  }
  try {
    auto model = basin::infer::Model::load_file(argv[1]);
    const int threads = std::stoi(argv[2]);
    const int64_t batch = std::stoll(argv[3]);
    const double seconds = std::stod(argv[4]);
    std::vector<int64_t> shape;
    for (int k = 5; k < argc; ++k) shape.push_back(std::stoll(argv[k]));
    const char* arith = std::getenv("INFER_BENCH_ARITHMETIC");
    const char* isa = std::getenv("INFER_BENCH_ISA");
    basin::infer::BatchRunner runner(
        model, shape,
        std::getenv("INFER_BENCH_MICRO") ? std::stoll(std::getenv("INFER_BENCH_MICRO"))
                                         : basin::infer::kMicroBatch,
        {basin::infer::parse_arithmetic(arith && *arith ? arith : "fast"),
         basin::infer::parse_isa(isa && *isa ? isa : "native")});
    std::vector<float> x(size_t(batch * runner.input_sample_size())),
        y(size_t(batch * runner.output_sample_size()));
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> u(0, 1);
    for (auto& v : x) v = u(rng);
    runner.run(x.data(), batch, y.data(), threads);  // warm-up
    int64_t done = 0;
    const auto t0 = clk::now();
    double el = 0;
    while (el < seconds) {
      runner.run(x.data(), batch, y.data(), threads);
      done += batch;
      el = std::chrono::duration<double>(clk::now() - t0).count();
    }
    if (std::getenv("INFER_BENCH_NO_SGEMM")) {  // compare_ort.py: the engine's rate only
      std::printf("{\"samples_per_s\": %.1f}\n", double(done) / el);
      return 0;
    }
    // OpenBLAS alone: one sgemm of [batch x 784] x [784 x 512] (the MLP's
    // first layer at full batch), with the same number of BLAS threads.
    const int M = int(batch), K = 784, N = 512;
    std::vector<float> a(size_t(M) * K, 0.5f), b(size_t(K) * N, 0.25f), c(size_t(M) * N);
    openblas_set_num_threads(threads);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1, a.data(), K, b.data(), K, 0,
                c.data(), N);
    int reps = 0;
    const auto t1 = clk::now();
    double el2 = 0;
    while (el2 < seconds) {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1, a.data(), K, b.data(), K, 0,
                  c.data(), N);
      ++reps;
      el2 = std::chrono::duration<double>(clk::now() - t1).count();
    }
    std::printf("{\"samples_per_s\": %.1f, \"openblas_sgemm_gflops\": %.2f}\n", double(done) / el,
                2.0 * M * N * K * reps / el2 / 1e9);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "infer_bench: %s\n", e.what());
    return 1;
  }
}
