// Daily rollups: folding raw events into one row per day and dimension.
//
// Retention (Store::Purge) replaces raw events older than the raw retention
// by these rows, which the engine loads as history on start. The grouping
// is by UTC day (ts / 86,400,000, truncated like SQL integer division),
// type, user, team, org, project, source, model and outcome kind; session,
// client, id and prompt features are dropped. Sums: the four token counts,
// cost, requests and outcome value (cache_write_1h is not kept).
//
// Thread-safety: none; a value type used inside one Purge.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "model/event.h"

namespace burnrate::store {

class DailyRollups {
 public:
  void Add(const model::Event& e);
  // One event per group: ts = the day's first millisecond (UTC), received =
  // ts, id empty, sums as above. In no particular order. Moves the groups
  // out: the object is empty afterwards.
  std::vector<model::Event> TakeRows();

 private:
  std::unordered_map<std::string, model::Event> groups_;  // key: day, type and the names
  std::string key_;                                       // scratch
};

}  // namespace burnrate::store
