#include "basin/runtime/digest.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <tbb/parallel_for.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <span>
#include <stdexcept>

#include "basin/common/durable_file.hpp"
#include "basin/common/hex.hpp"
#include "basin/common/sodium.hpp"

namespace basin::runtime {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the digest hashes little-endian doubles as stored");

constexpr std::size_t kHash = 32;

}  // namespace

std::string result_digest(const Decomposition& dec, const std::vector<const Field*>& fields) {
  common::ensure_sodium();
  const Extent& g = dec.global();
  const Box& box = dec.local();
  const int tile = dec.tile_cells();
  const int tiles_x = (g.n[2] + tile - 1) / tile;
  const int my_tiles_x = (box.size[2] + tile - 1) / tile;
  const std::int64_t tiles_per_field = std::int64_t(g.n[0]) * g.n[1] * tiles_x;

  // This rank's tile hashes, each with its global position in the final order.
  const std::int64_t mine = std::int64_t(fields.size()) * box.size[0] * box.size[1] * my_tiles_x;
  std::vector<std::int64_t> where(static_cast<std::size_t>(mine));
  std::vector<unsigned char> hashes(std::size_t(mine) * kHash);
  const int rows = box.size[0] * box.size[1];
  for (std::size_t f = 0; f < fields.size(); ++f) {
    tbb::parallel_for(0, rows, [&](int r) {
      const int k = r / box.size[1], j = r % box.size[1];
      const double* row = fields[f]->row(k, j);
      for (int t = 0; t < my_tiles_x; ++t) {
        const int i0 = t * tile, n = std::min(tile, box.size[2] - i0);
        const std::size_t slot = (f * std::size_t(rows) + std::size_t(r)) * my_tiles_x + t;
        crypto_generichash(&hashes[slot * kHash], kHash,
                           reinterpret_cast<const unsigned char*>(row + i0), sizeof(double) * n,
                           nullptr, 0);
        const std::int64_t gz = box.begin[0] + k, gy = box.begin[1] + j,
                           gt = (box.begin[2] + i0) / tile;
        where[slot] = std::int64_t(f) * tiles_per_field + (gz * g.n[1] + gy) * tiles_x + gt;
      }
    });
  }

  // Gather to rank 0, which orders them and hashes the whole.
  const int ranks = dec.ranks();
  int count = int(mine);
  std::vector<int> counts(static_cast<std::size_t>(ranks)), displs(static_cast<std::size_t>(ranks));
  MPI_Gather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, dec.comm());
  std::vector<std::int64_t> all_where;
  std::vector<unsigned char> all_hashes;
  std::vector<int> hcounts(static_cast<std::size_t>(ranks)),
      hdispls(static_cast<std::size_t>(ranks));
  if (dec.rank() == 0) {
    int total = 0;
    for (int r = 0; r < ranks; ++r) {
      displs[r] = total;
      hcounts[r] = counts[r] * int(kHash);
      hdispls[r] = total * int(kHash);
      total += counts[r];
    }
    all_where.resize(std::size_t(total));
    all_hashes.resize(std::size_t(total) * kHash);
  }
  MPI_Gatherv(where.data(), count, MPI_INT64_T, all_where.data(), counts.data(), displs.data(),
              MPI_INT64_T, 0, dec.comm());
  MPI_Gatherv(hashes.data(), count * int(kHash), MPI_UNSIGNED_CHAR, all_hashes.data(),
              hcounts.data(), hdispls.data(), MPI_UNSIGNED_CHAR, 0, dec.comm());

  char text[12 + 2 * kHash + 1] = {};
  if (dec.rank() == 0) {
    std::vector<unsigned char> ordered(all_hashes.size());
    for (std::size_t s = 0; s < all_where.size(); ++s)
      std::memcpy(&ordered[std::size_t(all_where[s]) * kHash], &all_hashes[s * kHash], kHash);
    crypto_generichash_state st;
    crypto_generichash_init(&st, nullptr, 0, kHash);
    const std::string head = "basin-result-digest-v1\n";
    crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(head.data()),
                              head.size());
    for (const Field* f : fields) {
      const std::string line = f->name() + " " + std::to_string(g.n[0]) + " " +
                               std::to_string(g.n[1]) + " " + std::to_string(g.n[2]) + "\n";
      crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(line.data()),
                                line.size());
    }
    crypto_generichash_update(&st, ordered.data(), ordered.size());
    unsigned char out[kHash];
    crypto_generichash_final(&st, out, kHash);
    const std::string s =
        "blake2b-256:" + common::to_hex(std::span<const std::uint8_t>(out, kHash));
    std::memcpy(text, s.data(), s.size());
  }
  MPI_Bcast(text, sizeof text, MPI_CHAR, 0, dec.comm());
  return std::string(text);
}

void write_digest_file(const std::string& path, const std::string& digest) {
  const std::filesystem::path p(path);
  // Only ever replace a regular file (never a device, a directory or what a
  // symbolic link points at).
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
    throw std::runtime_error("cannot write the result digest to " + path +
                             ": it exists and is not a regular file; give another --digest-file");
  const std::string body = digest + "\n";
  // The user's own path: a symlinked directory on the way is followed.
  try {
    common::write_file_durably(
        p.has_parent_path() ? p.parent_path().string() : ".", p.filename().string(),
        std::span(reinterpret_cast<const std::uint8_t*>(body.data()), body.size()), 0644,
        /*replace=*/true, /*follow_dir_link=*/true);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("cannot write the result digest: ") + e.what());
  }
}

}  // namespace basin::runtime
