// pool.toml: parse, and whatever parses renders to text that parses again to
// the same rendering.
#include <fstream>
#include <sstream>

#include "basin/federation/pool.hpp"
#include "fuzz_target.hpp"

std::vector<std::vector<std::uint8_t>> basin_fuzz_seeds() {
  std::ifstream in(BASIN_EXAMPLE_POOL);
  std::stringstream s;
  s << in.rdbuf();
  return {fuzz_bytes(s.str()), fuzz_bytes("[pool]\nname = 'p'\ncluster = 'c'\n")};
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto pool = basin::federation::parse_pool(text, "fuzz.toml");
    const auto rendered = basin::federation::render_pool(pool);
    BASIN_FUZZ_CHECK(basin::federation::render_pool(basin::federation::parse_pool(rendered)) ==
                     rendered);
    (void)basin::federation::render_slurm_nodes(pool);
  } catch (const basin::federation::PoolError&) {
  }
  return 0;
}
