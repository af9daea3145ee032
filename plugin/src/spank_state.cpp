#include "spank_state.hpp"

#include <vector>

namespace basin::plugin {

PluginState& state() {
  static PluginState s;
  return s;
}

std::optional<std::string> job_getenv(spank_t sp, const char* name) {
  std::vector<char> buf(4096);
  if (spank_getenv(sp, name, buf.data(), static_cast<int>(buf.size())) != ESPANK_SUCCESS)
    return std::nullopt;
  return std::string(buf.data());
}

std::uint32_t item_u32(spank_t sp, spank_item_t item, std::uint32_t fallback) {
  std::uint32_t v = 0;
  return spank_get_item(sp, item, &v) == ESPANK_SUCCESS ? v : fallback;
}

std::optional<std::string> item_string(spank_t sp, spank_item_t item) {
  char* v = nullptr;
  if (spank_get_item(sp, item, &v) != ESPANK_SUCCESS || !v) return std::nullopt;
  return std::string(v);
}

}  // namespace basin::plugin
