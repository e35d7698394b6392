// burnrate-loadgen --mode org-day: one day of a large organisation through
// the real HTTP path (bench/loadgen_org_day.cc).
#pragma once

#include <cstdint>
#include <string>

namespace burnrate::bench {

struct OrgDayOptions {
  int64_t events = 40'000'000;  // ~2 T tokens at the default size
  int users = 85'000;
  size_t batch = 10'000;
  int clients = 4;
  std::string dir = "/tmp/burnrate-bench";
};

// Replays the day, checks the end state, prints one JSON line. Returns 0
// when every check held.
int OrgDay(const OrgDayOptions& o);

}  // namespace burnrate::bench
