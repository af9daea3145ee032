// The result digest: a hash of the values of the output fields that is the
// same for every decomposition, for comparing replicas bit for bit.
//
// Definition (version 2): every x-chunk (kDigestChunk cells from a global
// multiple of it, or the rest of the row) of every field is hashed with
// BLAKE2b-256 over its little-endian doubles; the digest is BLAKE2b-256 of
// "basin-result-digest-v2\n", then per field "name nz ny nx\n", then all
// chunk hashes in (field, z, y, chunk) order. Text form: "blake2b-256:<hex>".
// The chunks do not depend on the decomposition: a rank hashes the chunks
// wholly inside its box and sends the pieces of chunks its box cuts (at most
// two a row) to rank 0, which joins and hashes them. (Version 1 hashed the
// decomposition's x-tiles, one cell each for the weather core: a quarter of
// a short run.)
#pragma once

#include <string>
#include <vector>

#include "basin/runtime/decomposition.hpp"
#include "basin/runtime/field.hpp"

namespace basin::runtime {

// Cells of one digest chunk along x.
inline constexpr int kDigestChunk = 512;

// Collective; the same string on every rank.
std::string result_digest(const Decomposition& decomposition,
                          const std::vector<const Field*>& fields);

// Writes "<digest>\n" to dir/basin-result-digest (temporary name, fsync,
// rename, directory fsync) where the SPANK plugin picks it up for the usage
// record. Throws std::runtime_error naming the path on failure.
void write_digest_file(const std::string& path, const std::string& digest);

}  // namespace basin::runtime
