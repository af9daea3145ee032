// score_raw MODEL.onnx IN.f32 OUT.f32 THREADS DIM...: scores raw float32
// samples with the engine. Test-only driver for the PyTorch comparison until
// the `basin run infer` workload exists.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "basin/infer/batch.hpp"

int main(int argc, char** argv) {
  if (argc < 6) return 2;
  try {
    auto model = basin::infer::Model::load_file(argv[1]);
    std::vector<int64_t> shape;
    for (int k = 5; k < argc; ++k) shape.push_back(std::stoll(argv[k]));
    basin::infer::BatchRunner runner(model, shape);
    std::ifstream in(argv[2], std::ios::binary | std::ios::ate);
    const auto bytes = size_t(in.tellg());
    const int64_t n = int64_t(bytes / sizeof(float)) / runner.input_sample_size();
    std::vector<float> x(size_t(n * runner.input_sample_size())),
        y(size_t(n * runner.output_sample_size()));
    in.seekg(0);
    in.read(reinterpret_cast<char*>(x.data()), std::streamsize(x.size() * sizeof(float)));
    runner.run(x.data(), n, y.data(), std::stoi(argv[4]));
    std::ofstream out(argv[3], std::ios::binary);
    out.write(reinterpret_cast<const char*>(y.data()), std::streamsize(y.size() * sizeof(float)));
    return out ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "score_raw: %s\n", e.what());
    return 1;
  }
}
