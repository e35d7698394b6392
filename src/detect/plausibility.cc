// Why these checks and these limits (docs/detection.md, "Implausible
// usage"): each limit is a property of the models, not of a population, so
// it does not drift with the organisation. The defaults sit above what
// current models document: 128K output tokens per response (the largest
// output limit), 2M tokens of context (the largest window), 1,000 output
// tokens per second over a session (several parallel streams of the
// fastest models; one stream is in the low hundreds). A session's rate is
// its output after its first request over the time from its first to its
// last event: the first response was generated before its own timestamp,
// every later one between the first timestamp and its own.
//
// The cost check compares a cost the client gave with our price of the
// same tokens; a cost we computed ourselves compares equal. A band of 3x
// either way leaves room for long-context tiers (2x), batch discounts
// (0.5x) and a price table a little out of date.
//
// request_count is weak alone (a share of the day's requests): a client
// may log an aborted request with no usage at all. A log padded with
// empty or output-only records to inflate its request count shows many.
// A conflicting duplicate is enough alone (one source reporting one id
// with two usages was edited) but never conclusive: it is the client's word
// against itself, and a buggy exporter could do it without intent.
#include "detect/plausibility.h"

#include <algorithm>

#include "model/price_book.h"

namespace burnrate::detect {

const char* ImplausibleName(Implausible k) {
  switch (k) {
    case Implausible::kOutputPerRequest:
      return "output_per_request";
    case Implausible::kContextPerRequest:
      return "context_per_request";
    case Implausible::kOutputRate:
      return "output_rate";
    case Implausible::kFutureTime:
      return "future_time";
    case Implausible::kOutOfOrder:
      return "out_of_order";
    case Implausible::kUnknownModel:
      return "unknown_model";
    case Implausible::kCostBand:
      return "cost_band";
    case Implausible::kRequestCount:
      return "request_count";
    case Implausible::kConflictingDuplicate:
      return "conflicting_duplicate";
  }
  return "unknown";
}

bool ImplausibleAlone(Implausible k) {
  return k == Implausible::kOutputPerRequest || k == Implausible::kContextPerRequest ||
         k == Implausible::kOutputRate || k == Implausible::kCostBand ||
         k == Implausible::kConflictingDuplicate;
}

void ImplausibleTally::Add(Implausible k, double value, const model::Event* e) {
  size_t i = static_cast<size_t>(k);
  ++events[i];
  worst[i] = std::max(worst[i], value);
  if (e == nullptr || !ImplausibleAlone(k)) return;
  tokens += e->tokens.Total();
  if (example.empty())
    example = (e->id.empty() ? std::string("(no id)") : e->id) + " (" + ImplausibleName(k) + ")";
}

void ImplausibleTally::AddConflicts(int64_t n, const std::vector<std::string>& ids) {
  if (n <= 0) return;
  size_t i = static_cast<size_t>(Implausible::kConflictingDuplicate);
  events[i] += n;
  worst[i] = double(events[i]);
  for (const std::string& id : ids) {
    if (conflict_ids.size() >= kMaxConflictIds) break;
    if (std::find(conflict_ids.begin(), conflict_ids.end(), id) == conflict_ids.end())
      conflict_ids.push_back(id);
  }
}

bool ImplausibleTally::Any() const {
  return std::any_of(events.begin(), events.end(), [](int64_t n) { return n > 0; });
}

ImplausibleTally& TallyOf(std::unique_ptr<ImplausibleTally>& tally) {
  if (!tally) tally = std::make_unique<ImplausibleTally>();
  return *tally;
}

void CheckUsageEvent(const model::Event& e, const model::PriceSnapshot* prices,
                     const DetectConfig& cfg, std::unique_ptr<ImplausibleTally>& tally) {
  const model::TokenCounts& t = e.tokens;
  double requests = static_cast<double>(std::max<int64_t>(1, e.requests));
  double output = static_cast<double>(t.output) / requests;
  if (output > cfg.implausible_max_output)
    TallyOf(tally).Add(Implausible::kOutputPerRequest, output, &e);
  double context = static_cast<double>(t.input + t.cache_read + t.cache_write) / requests;
  if (context > cfg.implausible_max_context)
    TallyOf(tally).Add(Implausible::kContextPerRequest, context, &e);
  // The other side of the request count: each request sends a prompt, so a
  // record of N requests has at least N x min_input prompt tokens.
  double prompt = static_cast<double>(t.input + t.cache_read + t.cache_write);
  double beyond =
      double(e.requests) - prompt / std::max(1e-9, cfg.implausible_min_input_per_request);
  if (e.requests > 0 && beyond > 0) TallyOf(tally).Add(Implausible::kRequestCount, beyond, &e);
  TimeMs ahead = e.received > 0 ? e.ts - e.received : 0;
  if (ahead > TimeMs(cfg.implausible_future_seconds) * kSecondMs)
    TallyOf(tally).Add(Implausible::kFutureTime, double(ahead) / double(kSecondMs), &e);
  if (t.Total() <= 0) return;
  if (e.cost_basis == model::CostBasis::kUnpriced) {
    TallyOf(tally).Add(Implausible::kUnknownModel, 1, &e);
    return;
  }
  // A cost we estimated from the family is ours; only a priced one can
  // have come from the client.
  if (prices == nullptr || e.cost_basis != model::CostBasis::kPriced || e.cost_nanos <= 0) return;
  model::Priced ours = prices->Price(e.model, t);
  if (ours.basis == model::CostBasis::kUnpriced) {
    TallyOf(tally).Add(Implausible::kUnknownModel, 1, &e);
  } else if (ours.basis == model::CostBasis::kPriced && ours.cost_nanos > 0) {
    double ratio = double(e.cost_nanos) / double(ours.cost_nanos);
    double off = std::max(ratio, 1 / ratio);
    if (off > cfg.implausible_cost_band) TallyOf(tally).Add(Implausible::kCostBand, off, &e);
  }
}

}  // namespace burnrate::detect
