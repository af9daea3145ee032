#include "basin/common/sodium.hpp"

#include <sodium.h>

#include <stdexcept>

namespace basin::common {

void ensure_sodium() {
  // A function-local static: sodium_init() runs once, thread-safely, and the
  // hot paths (a transcript per proof, a receipt per record) pay one load.
  static const bool ok = sodium_init() >= 0;
  if (!ok) throw std::runtime_error("libsodium failed to initialise");
}

}  // namespace basin::common
