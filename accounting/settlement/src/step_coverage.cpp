// The charging rule for nested job steps (see settlement.hpp).
#include <algorithm>
#include <map>
#include <tuple>

#include "basin/records/usage_record.hpp"
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

bool is_batch(const StepSpan& s) {
  return s.step_id == records::kBatchStep;
}

// The batch step holds the job's allocation on its node for the job's life:
// every other step of the run on that node that overlaps it in time and fits
// in its cores runs on those cores. Containment is too strict a test here:
// when a job is cancelled, slurmstepd ends its steps in no fixed order, and an
// srun step that ended a second after the batch step is still the same cores
// of the same allocation, not other cores (charging it would bill them twice).
bool batch_covers(const StepSpan& batch, const StepSpan& step) {
  return is_batch(batch) && !is_batch(step) && batch.cores >= step.cores &&
         std::max(batch.start, step.start) <= std::min(batch.end, step.end);
}

// Other steps: one that ran within another's interval on no more cores ran on
// those cores. Steps that overlap without nesting ran on different cores. A
// batch step the other covers by the rule above is never covered back.
bool nested(const StepSpan& outer, const StepSpan& inner) {
  return outer.start <= inner.start && inner.end <= outer.end && outer.cores >= inner.cores &&
         ranks_before(outer, inner) && !batch_covers(inner, outer);
}

bool covers(const StepSpan& outer, const StepSpan& inner) {
  return batch_covers(outer, inner) || nested(outer, inner);
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
