#include "version.hpp"

namespace basin::cli {
std::string version_string() {
  return std::string("basin ") + BASIN_VERSION + " (commit " + BASIN_GIT_COMMIT + ")";
}
}  // namespace basin::cli
