// score_raw [--arithmetic fast|portable] [--isa native|scalar|avx2|avx512]
//           MODEL.onnx IN.f32 OUT.f32 THREADS DIM...
// score_raw --isas
// Scores raw float32 samples with the engine (the families' and digits'
// comparisons with PyTorch drive it); --isas prints the instruction sets this
// CPU can run, one a line.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "basin/infer/batch.hpp"

int main(int argc, char** argv) {
  using namespace basin::infer;
  try {
    if (argc == 2 && std::strcmp(argv[1], "--isas") == 0) {
      for (Isa i : {Isa::scalar, Isa::avx2, Isa::avx512})
        if (isa_available(i)) std::printf("%s\n", isa_name(i));
      return 0;
    }
    PlanOptions options;
    int a = 1;
    for (; a + 1 < argc && std::strncmp(argv[a], "--", 2) == 0; a += 2) {
      if (std::strcmp(argv[a], "--arithmetic") == 0)
        options.arithmetic = parse_arithmetic(argv[a + 1]);
      else if (std::strcmp(argv[a], "--isa") == 0)
        options.isa = parse_isa(argv[a + 1]);
      else
        throw std::runtime_error(std::string("unknown option ") + argv[a]);
    }
    if (argc - a < 5) return 2;
    auto model = Model::load_file(argv[a]);
    std::vector<int64_t> shape;
    for (int k = a + 4; k < argc; ++k) shape.push_back(std::stoll(argv[k]));
    BatchRunner runner(model, shape, kMicroBatch, options);
    std::ifstream in(argv[a + 1], std::ios::binary | std::ios::ate);
    const auto bytes = size_t(in.tellg());
    const int64_t n = int64_t(bytes / sizeof(float)) / runner.input_sample_size();
    std::vector<float> x(size_t(n * runner.input_sample_size())),
        y(size_t(n * runner.output_sample_size()));
    in.seekg(0);
    in.read(reinterpret_cast<char*>(x.data()), std::streamsize(x.size() * sizeof(float)));
    runner.run(x.data(), n, y.data(), std::stoi(argv[a + 3]));
    std::ofstream out(argv[a + 2], std::ios::binary);
    out.write(reinterpret_cast<const char*>(y.data()), std::streamsize(y.size() * sizeof(float)));
    return out ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "score_raw: %s\n", e.what());
    return 1;
  }
}
