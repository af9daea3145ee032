#pragma once
#include <string>

namespace basin::cli {
// "basin 0.1.0 (commit abcdef123456)"
std::string version_string();
}  // namespace basin::cli
