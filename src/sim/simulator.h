// A simulated organisation for demos, tests and benchmarks.
//
// Deterministic for a seed: N users in teams of 5-15 under a few orgs, each
// with a home time zone and working hours, a heaviness drawn from a
// log-normal (a few heavy users, a long tail of light ones), sessions of
// agentic requests with realistic token shapes (large cached context, small
// fresh input, modest output), a model mix, and outcomes (commits, pull
// requests, accepted edits, tests) in proportion to real work.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "model/event.h"

namespace burnrate::sim {

struct SimOptions {
  int users = 1000;
  int days = 7;
  uint64_t seed = 1;
  TimeMs end = 0;          // the simulation ends here (default: now)
  double intensity = 1.0;  // scales requests per active hour
};

struct SimUser {
  std::string id, team, org;
  double heaviness = 1;
  int tz_offset_hours = 0;
};

class Simulator {
 public:
  explicit Simulator(SimOptions opts);
  const std::vector<SimUser>& users() const { return users_; }
  // Calls emit for every event of [from, to), in time order within each
  // hour. Deterministic for (seed, from, to).
  void Generate(TimeMs from, TimeMs to, const std::function<void(model::Event&&)>& emit) const;
  // All events of the configured days.
  void GenerateAll(const std::function<void(model::Event&&)>& emit) const;
  // One event as a native NDJSON line (no trailing newline).
  // One NDJSON line (no newline); `prompt_text`, when not empty, goes in as
  // {"prompt": {"text": ...}} for ingest to turn into features.
  static std::string ToNdjson(const model::Event& e, std::string_view prompt_text = {});

 private:
  void GenerateHour(const SimUser& u, size_t index, TimeMs hour,
                    const std::function<void(model::Event&&)>& emit) const;
  SimOptions opts_;
  std::vector<SimUser> users_;
};

}  // namespace burnrate::sim
