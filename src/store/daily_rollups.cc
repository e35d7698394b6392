#include "store/daily_rollups.h"

#include "common/clock.h"

namespace burnrate::store {

void DailyRollups::Add(const model::Event& e) {
  int64_t day = e.ts / kDayMs;  // truncates toward zero, as SQLite's integer division did
  key_.assign(reinterpret_cast<const char*>(&day), sizeof day);
  key_.push_back(char(e.type));
  for (const std::string* s :
       {&e.user, &e.team, &e.org, &e.project, &e.source, &e.model, &e.outcome_kind}) {
    uint32_t n = uint32_t(s->size());
    key_.append(reinterpret_cast<const char*>(&n), sizeof n);  // length-prefixed: no ambiguity
    key_.append(*s);
  }
  auto [it, inserted] = groups_.try_emplace(key_);
  model::Event& r = it->second;
  if (inserted) {
    r.type = e.type;
    r.ts = r.received = day * kDayMs;
    r.user = e.user, r.team = e.team, r.org = e.org, r.project = e.project;
    r.source = e.source, r.model = e.model, r.outcome_kind = e.outcome_kind;
    r.cost_nanos = 0;
    r.requests = 0;
  }
  r.tokens.input += e.tokens.input;
  r.tokens.output += e.tokens.output;
  r.tokens.cache_read += e.tokens.cache_read;
  r.tokens.cache_write += e.tokens.cache_write;
  r.cost_nanos += e.cost_nanos;
  r.requests += e.requests;
  r.outcome_value += e.outcome_value;
}

std::vector<model::Event> DailyRollups::TakeRows() {
  std::vector<model::Event> out;
  out.reserve(groups_.size());
  for (auto& [key, r] : groups_) out.push_back(std::move(r));
  groups_.clear();
  return out;
}

}  // namespace burnrate::store
