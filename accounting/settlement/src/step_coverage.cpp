// The charging rule for nested job steps (see settlement.hpp).
#include <algorithm>
#include <map>
#include <tuple>

#include "basin/settlement/settlement.hpp"

namespace basin::settlement {
namespace {

// Spans are ranked: longer first, then more cores, then lower step id. A span
// can only be covered by one ranked before it, so coverage has no cycles and
// of two identical spans exactly one is charged.
bool ranks_before(const StepSpan& a, const StepSpan& b) {
  return std::make_tuple(-(a.end - a.start), -static_cast<std::int64_t>(a.cores), a.step_id) <
         std::make_tuple(-(b.end - b.start), -static_cast<std::int64_t>(b.cores), b.step_id);
}

bool covers(const StepSpan& outer, const StepSpan& inner) {
  return outer.start <= inner.start && inner.end <= outer.end && outer.cores >= inner.cores &&
         ranks_before(outer, inner);
}

}  // namespace

std::vector<std::optional<std::size_t>> covering_steps(std::span<const StepSpan> spans) {
  std::map<std::pair<std::string, std::string>, std::vector<std::size_t>> by_run_node;
  for (std::size_t i = 0; i < spans.size(); ++i)
    by_run_node[{spans[i].run, spans[i].node}].push_back(i);
  std::vector<std::optional<std::size_t>> out(spans.size());
  for (auto& [key, members] : by_run_node) {
    // Jobs have few steps per node; the quadratic scan is the clear choice.
    for (std::size_t i : members)
      for (std::size_t j : members)
        if (i != j && covers(spans[j], spans[i])) {
          out[i] = j;
          break;
        }
  }
  return out;
}

}  // namespace basin::settlement
