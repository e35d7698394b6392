// Plausibility checks on self-reported usage: facts that no real model
// request has, whoever reports them. Uploaded transcripts and agent logs
// are written by the user's own machine and can be edited (leaderboards
// such as tokscale and viberank received spoofed submissions), so each usage
// event is checked on arrival, cheaply, and each user-day keeps a tally:
//
//   output_per_request   more output in one response than any model emits
//   context_per_request  more input and cache tokens per request than any
//                        context window holds (totals inconsistent with the
//                        request count)
//   output_rate          a session's output over its time span faster than
//                        models generate (sessions judged in Finish)
//   future_time          a time after its arrival (client clock ahead)
//   out_of_order         a time far before its session's latest
//   unknown_model        a model no price table entry or family knows
//   cost_band            a cost the client gave far from our price
//   request_count        more requests than its prompt tokens could make
//                        (every request sends a prompt): the other side of
//                        context_per_request
//   conflicting_duplicate  an id its source reported before with other
//                        usage (an edited re-upload; the ingest layer's
//                        de-duplication finds it, DetectionEngine gets it)
//
// DetectImplausibleUsage (detectors.h) turns the tally into a reason.
// Thread-safety: none; UserDayStats' owner serialises access.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "detect/detect_config.h"
#include "model/event.h"

namespace burnrate::model {
class PriceSnapshot;
}

namespace burnrate::detect {

enum class Implausible : uint8_t {
  kOutputPerRequest = 0,
  kContextPerRequest,
  kOutputRate,
  kFutureTime,
  kOutOfOrder,
  kUnknownModel,
  kCostBand,
  kRequestCount,
  kConflictingDuplicate,
};
inline constexpr int kImplausibleKinds = 9;
const char* ImplausibleName(Implausible k);
// Whether one occurrence suffices (physically impossible or a price far
// off); the others (clock skew, reordering, unknown models) need a share.
bool ImplausibleAlone(Implausible k);

// One user-day's tally. `worst` is the most extreme value of each kind:
// output tokens per request, input tokens per request, output tokens per
// second, seconds ahead, seconds behind, events, cost ratio (>= 1 either way),
// requests beyond the prompt tokens, conflicting reports of one user-day.
struct ImplausibleTally {
  static constexpr size_t kMaxConflictIds = 3;
  std::array<int64_t, kImplausibleKinds> events{};
  std::array<double, kImplausibleKinds> worst{};
  int64_t tokens = 0;                     // tokens of the events found implausible on their own
  std::string example;                    // the first such event: "id (kind)"
  std::vector<std::string> conflict_ids;  // the first kMaxConflictIds conflicting ids

  void Add(Implausible k, double value, const model::Event* e);
  // `n` reports of ids their source had reported with other usage; `ids`
  // names some of them. Their tokens were never counted, so adds none.
  void AddConflicts(int64_t n, const std::vector<std::string>& ids);
  bool Any() const;
};

// `*tally`, created empty if it is null: a user-day holds its tally only
// once it has a finding (most never do).
ImplausibleTally& TallyOf(std::unique_ptr<ImplausibleTally>& tally);

// Checks one usage event on its own (everything but output_rate and
// out_of_order, which need its session). `prices` is the price table to
// compare a given cost and the model with; null: only the event's own
// cost_basis tells an unknown model, and costs are not compared. `tally`
// is created (TallyOf) at the event's first finding.
void CheckUsageEvent(const model::Event& e, const model::PriceSnapshot* prices,
                     const DetectConfig& cfg, std::unique_ptr<ImplausibleTally>& tally);

}  // namespace burnrate::detect
