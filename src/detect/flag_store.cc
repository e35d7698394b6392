#include "detect/flag_store.h"

#include <simdjson.h>

#include <algorithm>

#include "common/hash.h"
#include "common/json_writer.h"
#include "model/prompt_features.h"

namespace burnrate::detect {

const char* ReviewStateName(ReviewState s) {
  switch (s) {
    case ReviewState::kOpen:
      return "open";
    case ReviewState::kConfirmed:
      return "confirmed";
    case ReviewState::kDismissed:
      return "dismissed";
    case ReviewState::kRetracted:
      return "retracted";
  }
  return "open";
}

std::optional<ReviewState> ParseReviewState(std::string_view s) {
  for (ReviewState r : {ReviewState::kOpen, ReviewState::kConfirmed, ReviewState::kDismissed,
                        ReviewState::kRetracted})
    if (s == ReviewStateName(r)) return r;
  return std::nullopt;
}

std::string FlagId(std::string_view user, int64_t day) {
  std::string key(user);
  key += '\0';
  key += std::to_string(day);
  return model::FingerprintHex(Hash64(key));
}

PutOutcome MergePut(const Flag* stored, const Flag& scored, Flag* out) {
  *out = scored;
  out->state = ReviewState::kOpen;
  out->note.clear(), out->reviewer.clear(), out->reviewed_at = 0;
  out->retraction.clear(), out->retracted_at = 0;
  if (stored == nullptr) return PutOutcome::kInserted;
  if (stored->state == ReviewState::kRetracted) return PutOutcome::kReopened;
  out->state = stored->state;
  out->note = stored->note, out->reviewer = stored->reviewer,
  out->reviewed_at = stored->reviewed_at;
  bool same = stored->score == scored.score && stored->flagged == scored.flagged &&
              stored->high_confidence == scored.high_confidence &&
              stored->tokens == scored.tokens && stored->wasted_tokens == scored.wasted_tokens &&
              stored->team == scored.team && stored->reasons == scored.reasons;
  return same ? PutOutcome::kUnchanged : PutOutcome::kUpdated;
}

bool ApplyRetract(Flag& f, double score, std::vector<Reason> reasons, std::string why, TimeMs at) {
  if (f.state != ReviewState::kOpen) return false;
  f.state = ReviewState::kRetracted;
  f.score = score;
  f.flagged = false, f.high_confidence = false;
  f.wasted_tokens = 0;
  f.reasons = std::move(reasons);
  f.retraction = std::move(why);
  f.retracted_at = at;
  return true;
}

void SortFlags(std::vector<Flag>& flags) {
  std::sort(flags.begin(), flags.end(), [](const Flag& a, const Flag& b) {
    return a.score != b.score ? a.score > b.score : a.id < b.id;
  });
}

Result<PutOutcome> InMemoryFlagStore::Put(const Flag& f, Flag* stored) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = flags_.find(f.id);
  Flag merged;
  PutOutcome o = MergePut(it == flags_.end() ? nullptr : &it->second, f, &merged);
  if (stored) *stored = merged;
  flags_[f.id] = std::move(merged);
  return o;
}

std::optional<Flag> InMemoryFlagStore::Get(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = flags_.find(id);
  if (it == flags_.end()) return std::nullopt;
  return it->second;
}

std::optional<Flag> InMemoryFlagStore::Find(const std::string& user, int64_t day) const {
  return Get(FlagId(user, day));
}

std::vector<Flag> InMemoryFlagStore::List(int64_t from_day, int64_t to_day) const {
  std::vector<Flag> out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, f] : flags_)
      if (f.day >= from_day && f.day <= to_day) out.push_back(f);
  }
  SortFlags(out);
  return out;
}

Result<Flag> InMemoryFlagStore::Review(const std::string& id, ReviewState s, std::string note,
                                       std::string reviewer, TimeMs at) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = flags_.find(id);
  if (it == flags_.end()) return Status::NotFound("no flag with id " + id);
  it->second.state = s;
  it->second.note = std::move(note);
  it->second.reviewer = std::move(reviewer);
  it->second.reviewed_at = at;
  return it->second;
}

Result<std::optional<Flag>> InMemoryFlagStore::Retract(const std::string& id, double score,
                                                       std::vector<Reason> reasons, std::string why,
                                                       TimeMs at) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = flags_.find(id);
  if (it == flags_.end() ||
      !ApplyRetract(it->second, score, std::move(reasons), std::move(why), at))
    return std::optional<Flag>();
  return std::optional<Flag>(it->second);
}

// The stores' encoding of reasons (a JSON array of objects).
std::string ReasonsToJson(const std::vector<Reason>& reasons) {
  JsonWriter w;
  w.BeginArray();
  for (const Reason& r : reasons) {
    w.BeginObject();
    w.Key("detector").String(r.detector);
    w.Key("summary").String(r.summary);
    w.Key("score").Double(r.score);
    w.Key("evidence").BeginArray();
    for (const Evidence& e : r.evidence) w.BeginArray().String(e.name).Double(e.value).EndArray();
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  return w.Take();
}

std::vector<Reason> ReasonsFromJson(std::string_view json) {
  std::vector<Reason> out;
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  simdjson::dom::array arr;
  if (parser.parse(padded).get_array().get(arr)) return out;
  for (simdjson::dom::element el : arr) {
    Reason r;
    std::string_view sv;
    if (!el["detector"].get_string().get(sv)) r.detector = std::string(sv);
    if (!el["summary"].get_string().get(sv)) r.summary = std::string(sv);
    if (el["score"].get_double().get(r.score)) r.score = 0;
    simdjson::dom::array ev;
    if (!el["evidence"].get_array().get(ev)) {
      for (simdjson::dom::element pair : ev) {
        Evidence e;
        if (!pair.at(0).get_string().get(sv)) e.name = std::string(sv);
        if (pair.at(1).get_double().get(e.value)) e.value = 0;
        r.evidence.push_back(std::move(e));
      }
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace burnrate::detect
