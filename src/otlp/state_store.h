// The durable copy of the OTLP receiver's state, in the burnrate database
// file. Internal to the otlp layer; the Receiver uses it (otlp/otlp.h).
//
// Two tables: otlp_series (per cumulative series: start, time, units) and
// otlp_sessions (per session: which source owns its usage). Rows are
// written after the events of a body were committed and before the body is
// acknowledged; a series row only ever moves forward in time, so two
// bodies persisted out of order cannot put an older state back.
//
// Thread-safety: one connection, serialised by SQLite (FULLMUTEX).
// Errors: IOError with SQLite's message.
#pragma once

#include <sqlite3.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "otlp/cumulative.h"

namespace burnrate::otlp {

class StateStore {
 public:
  static Result<std::unique_ptr<StateStore>> Open(const std::string& path);
  ~StateStore();

  // Rows not updated since `before` are deleted first (long-silent series).
  Status Load(TimeMs before,
              const std::function<void(uint64_t, const CumulativeTracker::State&)>& series,
              const std::function<void(uint64_t, uint8_t)>& sessions);
  Status Save(const std::vector<CumulativeTracker::Change>& changes,
              const std::vector<std::pair<uint64_t, uint8_t>>& sessions, TimeMs now);

 private:
  explicit StateStore(sqlite3* db) : db_(db) {}
  Status Exec(const char* sql);
  sqlite3* db_;
};

}  // namespace burnrate::otlp
