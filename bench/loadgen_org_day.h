// burnrate-loadgen --mode org-day: one day of a large organisation through
// the real HTTP path (bench/loadgen_org_day.cc).
#pragma once

#include <cstdint>
#include <string>

#include "common/thread_priority.h"

namespace burnrate::bench {

struct OrgDayOptions {
  int64_t events = 40'000'000;  // ~2 T tokens at the default size
  int users = 85'000;
  size_t batch = 10'000;
  int clients = 4;
  std::string dir = "/tmp/burnrate-bench";
  // The board reader stands in for a dashboard on another machine: in the
  // real-time class (when permitted) it does not queue for a core behind
  // the posting clients, so its latency is the server's. False: a normal
  // thread, the latency as a reader on these two cores sees it.
  bool realtime_reader = true;
  IoPriority io_priority = IoPriority::kAuto;  // the server's I/O threads
};

// Replays the day, checks the end state, prints one JSON line. Returns 0
// when every check held.
int OrgDay(const OrgDayOptions& o);

}  // namespace burnrate::bench
