// Signed pair openings from other sites (bundles): the strict text parser.
// Whatever it accepts must be canonical: printing it gives the same bytes.
#include "basin/books/openings.hpp"
#include "fuzz_target.hpp"

std::vector<std::vector<std::uint8_t>> basin_fuzz_seeds() {
  basin::books::SignedOpening o;
  o.pool = "demo";
  o.period = "2026-11";
  o.origin = "demo/campus/receipts";
  o.size = 12;
  o.opening.provider = "campus";
  o.opening.consumer = "home";
  o.opening.leaves[o.origin] = {0, 1, 2, 5, 9, 10};
  o.opening.micro_credits = 4941;
  return {fuzz_bytes(basin::books::opening_text(o)), fuzz_bytes("basin-pair-opening/v1\n")};
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const auto o = basin::books::parse_opening_text(text);
    if (basin::books::opening_text(o) != text) __builtin_trap();
  } catch (const basin::books::OpeningError&) {
  }
  return 0;
}
