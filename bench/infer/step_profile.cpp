// step_profile MODEL.onnx THREADS BATCH SECONDS DIM...
// Where a model's time goes in Basin's engine, step by step: one plan for
// the whole batch (as BatchRunner runs a batch of one, or any batch that is
// one piece), run on random inputs in an arena of THREADS threads, one
// warm-up run, then timed runs for SECONDS (Plan::run_timed, step_times). Prints one
// JSON object: the runs, the mean time a run, and each step's node, operator
// and mean microseconds a run. INFER_BENCH_ARITHMETIC=portable profiles the
// portable arithmetic (default fast); INFER_BENCH_ISA=avx2 (scalar, avx512)
// the clones of Basin's own kernels for that instruction set. Driver:
// profile_steps.py, beside ONNX Runtime's own per-node profile.
#include <tbb/task_arena.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "basin/infer/batch.hpp"

namespace {

std::string json_string(const std::string& s) {
  std::string r = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') r += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(c));
      r += buf;
      continue;
    }
    r += c;
  }
  return r + "\"";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr,
                 "usage: step_profile MODEL.onnx THREADS BATCH SECONDS DIM...\n"
                 "  times every step of MODEL at BATCH samples of shape [DIM...] (the input\n"
                 "  is [BATCH, DIM...]) on THREADS threads for SECONDS; prints JSON: each\n"
                 "  step's node, operator and microseconds a run.\n"
                 "  INFER_BENCH_ARITHMETIC=portable for portable arithmetic (default fast);\n"
                 "  INFER_BENCH_ISA=avx2 (scalar, avx512) for those clones of Basin's kernels.\n"
                 "  example: step_profile m.onnx 1 16 3 20\n");
    return 2;
  }
  try {
    using basin::infer::Plan;
    auto model = basin::infer::Model::load_file(argv[1]);
    const int threads = std::stoi(argv[2]);
    const int64_t batch = std::stoll(argv[3]);
    const double seconds = std::stod(argv[4]);
    if (threads < 1 || batch < 1 || !(seconds > 0))
      throw std::invalid_argument("THREADS and BATCH must be at least 1, SECONDS above 0");
    std::vector<int64_t> shape{batch};
    for (int k = 5; k < argc; ++k) shape.push_back(std::stoll(argv[k]));
    const char* arith = std::getenv("INFER_BENCH_ARITHMETIC");
    const char* isa = std::getenv("INFER_BENCH_ISA");
    Plan plan(model, {shape},
              {basin::infer::parse_arithmetic(arith && *arith ? arith : "fast"),
               basin::infer::parse_isa(isa && *isa ? isa : "native")});
    float* x = plan.input_data(0);
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> u(0, 1);
    for (int64_t i = 0; i < n; ++i) x[i] = u(rng);
    int64_t runs = 0;
    double elapsed = 0;
    tbb::task_arena arena(threads);
    arena.execute([&] {
      plan.run_in_place();  // warm-up
      const auto t0 = std::chrono::steady_clock::now();
      while (elapsed < seconds) {
        plan.run_timed();
        ++runs;
        elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      }
    });
    const auto& times = plan.step_times();
    std::printf("{\"runs\": %lld, \"us_per_run\": %.1f, \"steps\": [", static_cast<long long>(runs),
                1e6 * elapsed / double(runs));
    for (size_t k = 0; k < times.size(); ++k)
      std::printf("%s\n {\"node\": %s, \"op\": %s, \"us\": %.2f}", k ? "," : "",
                  json_string(times[k].node).c_str(), json_string(times[k].op).c_str(),
                  1e6 * times[k].seconds / double(runs));
    std::printf("]}\n");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "step_profile: %s\n", e.what());
    return 1;
  }
}
