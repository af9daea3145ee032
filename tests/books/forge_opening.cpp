// Test helper: a hostile provider. Rewrites every signed opening in a bundle
// with its total changed by DELTA micro-credits and signs it again with the
// provider's own key, so the opening is validly signed but wrong.
//   forge_opening IN.bundle OUT.bundle POOL.toml SITE_KEY DELTA
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "basin/books/bundle.hpp"
#include "basin/books/openings.hpp"
#include "basin/common/durable_file.hpp"
#include "basin/federation/pool_files.hpp"
#include "basin/records/signing.hpp"

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: forge_opening IN OUT POOL.toml SITE_KEY DELTA\n");
    return 2;
  }
  using namespace basin;
  auto bundle = books::decode_bundle(common::read_file(argv[1], books::kMaxBundleFile));
  const auto pool = federation::load_pool(argv[3]);
  const auto key = records::NodeKey::load(argv[4], false);
  auto seed = key.seed();
  for (auto& note : bundle.openings) {
    auto o = books::verify_opening(note, pool);
    o.opening.micro_credits += std::strtoll(argv[5], nullptr, 10);
    note = books::sign_opening(o, seed);
  }
  const std::filesystem::path out(argv[2]);
  common::write_file_durably(out.parent_path().empty() ? "." : out.parent_path().string(),
                             out.filename().string(), books::encode_bundle(bundle), 0644);
  return 0;
}
