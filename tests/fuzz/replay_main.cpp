// Replays a fuzz target's seeds and a deterministic set of mutations of them
// (fixed random seed: every run checks the same inputs).
//   replay_X [ITERATIONS]         run
//   replay_X --write-seeds DIR    write the seeds as a libFuzzer corpus
#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>

#include "fuzz_target.hpp"

namespace {

std::vector<std::uint8_t> mutate(std::vector<std::uint8_t> in,
                                 const std::vector<std::vector<std::uint8_t>>& seeds,
                                 std::mt19937_64& rng) {
  const int rounds = 1 + static_cast<int>(rng() % 4);
  for (int r = 0; r < rounds; ++r) {
    const std::size_t n = in.size();
    switch (rng() % 8) {
      case 0:  // flip one bit
        if (n) in[rng() % n] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
        break;
      case 1:  // set a byte to an edge value
        if (n)
          in[rng() % n] =
              static_cast<std::uint8_t>(std::array<int, 5>{0, 1, 0x7f, 0x80, 0xff}[rng() % 5]);
        break;
      case 2:  // truncate
        in.resize(n ? rng() % n : 0);
        break;
      case 3:  // insert random bytes
        for (int k = 0, m = 1 + static_cast<int>(rng() % 16); k < m; ++k)
          in.insert(in.begin() + static_cast<long>(in.empty() ? 0 : rng() % (in.size() + 1)),
                    static_cast<std::uint8_t>(rng()));
        break;
      case 4:  // erase a range
        if (n) {
          const std::size_t a = rng() % n, len = 1 + rng() % std::min<std::size_t>(n - a, 64);
          in.erase(in.begin() + static_cast<long>(a), in.begin() + static_cast<long>(a + len));
        }
        break;
      case 5:  // duplicate a range
        if (n) {
          const std::size_t a = rng() % n, len = 1 + rng() % std::min<std::size_t>(n - a, 64);
          std::vector<std::uint8_t> chunk(in.begin() + static_cast<long>(a),
                                          in.begin() + static_cast<long>(a + len));
          in.insert(in.begin() + static_cast<long>(rng() % (n + 1)), chunk.begin(), chunk.end());
        }
        break;
      case 6: {  // splice with another seed
        const auto& other = seeds[rng() % seeds.size()];
        const std::size_t cut = n ? rng() % n : 0, from = other.empty() ? 0 : rng() % other.size();
        in.resize(cut);
        in.insert(in.end(), other.begin() + static_cast<long>(from), other.end());
        break;
      }
      default:  // overwrite a 32-byte aligned field with 0xff or 0x00
        if (n >= 32) {
          const std::size_t f = rng() % (n / 32);
          std::fill_n(in.begin() + static_cast<long>(32 * f), 32, rng() % 2 ? 0xff : 0x00);
        }
    }
  }
  return in;
}

}  // namespace

int main(int argc, char** argv) {
  const auto seeds = basin_fuzz_seeds();
  if (seeds.empty()) return 1;
  if (argc == 3 && std::strcmp(argv[1], "--write-seeds") == 0) {
    for (std::size_t i = 0; i < seeds.size(); ++i) {
      std::ofstream out(std::string(argv[2]) + "/seed-" + std::to_string(i), std::ios::binary);
      out.write(reinterpret_cast<const char*>(seeds[i].data()),
                static_cast<std::streamsize>(seeds[i].size()));
      if (!out) {
        std::fprintf(stderr, "cannot write seeds to %s\n", argv[2]);
        return 2;
      }
    }
    return 0;
  }
  const long iterations = argc >= 2 ? std::strtol(argv[1], nullptr, 10) : 2000;
  for (const auto& s : seeds) LLVMFuzzerTestOneInput(s.data(), s.size());
  std::mt19937_64 rng(20261122);
  for (long i = 0; i < iterations; ++i) {
    const auto input = mutate(seeds[static_cast<std::size_t>(i) % seeds.size()], seeds, rng);
    LLVMFuzzerTestOneInput(input.data(), input.size());
  }
  std::printf("%zu seeds and %ld mutations replayed\n", seeds.size(), iterations);
  return 0;
}
