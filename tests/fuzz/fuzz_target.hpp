// One fuzz target = one file defining LLVMFuzzerTestOneInput and
// basin_fuzz_seeds(). Built two ways:
//  - with clang and BASIN_FUZZ=ON, as a libFuzzer binary (bench/fuzz runs it
//    for minutes; a ctest test runs it for a few seconds);
//  - always, linked with replay_main.cpp: the seeds and a fixed set of
//    mutations of them are replayed through the target (ctest, label unit,
//    also under ASan/UBSan), so every build exercises every parser.
// A target aborts (__builtin_trap) when a parser breaks its own contract,
// e.g. accepts bytes that do not re-encode to themselves.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

// Valid (and a few interesting invalid) inputs to start from.
std::vector<std::vector<std::uint8_t>> basin_fuzz_seeds();

inline std::vector<std::uint8_t> fuzz_bytes(const std::string& s) {
  return {s.begin(), s.end()};
}

#define BASIN_FUZZ_CHECK(cond)     \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)
