#include "basin/runtime/digest.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <tbb/parallel_for.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <map>
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

namespace {

// Gathers `mine` (each rank's items) to rank 0, in rank order.
template <class T>
std::vector<T> gather_to_root(const std::vector<T>& mine, MPI_Datatype type, int per_item,
                              const Decomposition& dec) {
  const int ranks = dec.ranks();
  const int count = int(mine.size()) / per_item;
  std::vector<int> counts(static_cast<std::size_t>(ranks)), displs(counts.size());
  MPI_Gather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, dec.comm());
  std::vector<T> all;
  if (dec.rank() == 0) {
    int total = 0;
    for (int r = 0; r < ranks; ++r) {
      displs[std::size_t(r)] = total * per_item;
      total += counts[std::size_t(r)];
      counts[std::size_t(r)] *= per_item;
    }
    all.resize(std::size_t(total) * std::size_t(per_item));
  }
  MPI_Gatherv(mine.data(), count * per_item, type, all.data(), counts.data(), displs.data(), type,
              0, dec.comm());
  return all;
}

}  // namespace

std::string result_digest(const Decomposition& dec, const std::vector<const Field*>& fields) {
  common::ensure_sodium();
  const Extent& g = dec.global();
  const Box& box = dec.local();
  constexpr int C = kDigestChunk;
  const std::int64_t chunks_x = (g.n[2] + C - 1) / C;
  const std::int64_t chunks_per_field = std::int64_t(g.n[0]) * g.n[1] * chunks_x;
  const int x0 = box.begin[2], x1 = box.begin[2] + box.size[2];
  // Chunks wholly inside [x0, x1): [full0, full1); the rest are pieces.
  const int full0 = (x0 + C - 1) / C, full1 = x1 == g.n[2] ? int(chunks_x) : x1 / C;
  const int my_full = std::max(full1 - full0, 0);
  const int rows = box.size[0] * box.size[1];

  // Whole chunks: hashed here, each with its global position.
  std::vector<std::int64_t> where(std::size_t(fields.size()) * std::size_t(rows) *
                                  std::size_t(my_full));
  std::vector<unsigned char> hashes(where.size() * kHash);
  // Cut chunks: (position, offset in the chunk, cells) and the cells, for rank 0.
  std::vector<std::int64_t> piece_meta;
  std::vector<double> piece_data;
  auto chunk_id = [&](std::size_t f, int k, int j, std::int64_t cx) {
    const std::int64_t gz = box.begin[0] + k, gy = box.begin[1] + j;
    return std::int64_t(f) * chunks_per_field + (gz * g.n[1] + gy) * chunks_x + cx;
  };
  for (std::size_t f = 0; f < fields.size(); ++f) {
    tbb::parallel_for(0, rows, [&](int r) {
      const int k = r / box.size[1], j = r % box.size[1];
      const double* row = fields[f]->row(k, j);
      for (int c = 0; c < my_full; ++c) {
        const int gx = (full0 + c) * C, n = std::min(C, g.n[2] - gx);
        const std::size_t slot = (f * std::size_t(rows) + std::size_t(r)) * my_full + c;
        crypto_generichash(&hashes[slot * kHash], kHash,
                           reinterpret_cast<const unsigned char*>(row + (gx - x0)),
                           sizeof(double) * std::size_t(n), nullptr, 0);
        where[slot] = chunk_id(f, k, j, full0 + c);
      }
    });
    if (box.size[2] == 0) continue;
    for (int r = 0; r < rows; ++r) {
      const int k = r / box.size[1], j = r % box.size[1];
      const double* row = fields[f]->row(k, j);
      auto piece = [&](int a, int b) {  // global cells [a, b) of one chunk
        if (a >= b) return;
        piece_meta.insert(piece_meta.end(), {chunk_id(f, k, j, a / C), a % C, b - a});
        piece_data.insert(piece_data.end(), row + (a - x0), row + (b - x0));
      };
      if (my_full == 0 && (x0 / C == (x1 - 1) / C) && !(x0 % C == 0 && x1 == g.n[2])) {
        piece(x0, x1);  // the box lies inside one chunk it does not fill
      } else {
        piece(x0, std::min(full0 * C, x1));
        piece(std::max(full1 * C, x0), x1);
      }
    }
  }

  const auto all_where = gather_to_root(where, MPI_INT64_T, 1, dec);
  const auto all_hashes = gather_to_root(hashes, MPI_UNSIGNED_CHAR, int(kHash), dec);
  const auto all_meta = gather_to_root(piece_meta, MPI_INT64_T, 3, dec);
  const auto all_data = gather_to_root(piece_data, MPI_DOUBLE, 1, dec);

  char text[12 + 2 * kHash + 1] = {};
  if (dec.rank() == 0) {
    const std::int64_t total_chunks = std::int64_t(fields.size()) * chunks_per_field;
    std::vector<unsigned char> ordered(std::size_t(total_chunks) * kHash);
    std::vector<char> done(std::size_t(total_chunks), 0);
    for (std::size_t s = 0; s < all_where.size(); ++s) {
      std::memcpy(&ordered[std::size_t(all_where[s]) * kHash], &all_hashes[s * kHash], kHash);
      done[std::size_t(all_where[s])] = 1;
    }
    // Join the pieces of each cut chunk, then hash it.
    std::map<std::int64_t, std::vector<double>> cut;
    std::map<std::int64_t, std::int64_t> covered;
    for (std::size_t p = 0, at = 0; p + 2 < all_meta.size(); p += 3) {
      const std::int64_t id = all_meta[p], off = all_meta[p + 1], n = all_meta[p + 2];
      const std::int64_t cx = id % chunks_x;
      auto& cells = cut[id];
      cells.resize(std::size_t(std::min<std::int64_t>(C, g.n[2] - cx * C)));
      std::copy_n(all_data.begin() + std::ptrdiff_t(at), n, cells.begin() + off);
      covered[id] += n;
      at += std::size_t(n);
    }
    for (const auto& [id, cells] : cut) {
      if (covered[id] != std::int64_t(cells.size()))
        throw std::logic_error("result digest: the pieces of a chunk do not cover it");
      crypto_generichash(&ordered[std::size_t(id) * kHash], kHash,
                         reinterpret_cast<const unsigned char*>(cells.data()),
                         sizeof(double) * cells.size(), nullptr, 0);
      done[std::size_t(id)] = 1;
    }
    if (std::find(done.begin(), done.end(), 0) != done.end())
      throw std::logic_error("result digest: a chunk of the grid was not covered by any rank");
    crypto_generichash_state st;
    crypto_generichash_init(&st, nullptr, 0, kHash);
    const std::string head = "basin-result-digest-v2\n";
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
