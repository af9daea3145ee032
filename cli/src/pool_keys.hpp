// Site secrets the pool verbs write: the blinding secrets beside the signing
// key (see receipts::BlindingKey).
#pragma once

#include <string>

#include "basin/receipts/receipt.hpp"

namespace basin::cli {

// Writes `key` to `path` (mode 0600, temporary name, fsync, rename).
void write_blinding_key(const std::string& path, const receipts::BlindingKey& key);

// "<dir of signing key>/<site>.blind.key" for a signing key "<site>.sign.key".
std::string blinding_key_path(const std::string& signing_key_path, const std::string& site);

}  // namespace basin::cli
