// libsodium's initialisation, in one place: every function that uses
// libsodium's randomness or its optimised primitives calls this first.
#pragma once

namespace basin::common {

// Calls sodium_init() once per process (later calls only check its result);
// throws std::runtime_error("libsodium failed to initialise") if it failed.
void ensure_sodium();

}  // namespace basin::common
