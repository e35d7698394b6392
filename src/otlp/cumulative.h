// Turning OTLP sums into deltas: per-series state for CUMULATIVE temporality.
// Internal to the otlp layer.
//
// Values are handled as int64 "units": integer points as they are, double
// points scaled by 1e9 and rounded (so USD become nano-USD and a running
// total's deltas add up exactly to its last value).
//
// Thread-safety: none; the Receiver holds its mutex around every call.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "otlp/otlp_json.h"

namespace burnrate::otlp {

int64_t PointUnits(const NumberPoint& p);

struct Delta {
  // kStale: not newer than the series' last point (a retry, out of order,
  // or a late point of an older run); it does not move the state.
  enum class Kind : uint8_t { kFirst, kIncrease, kReset, kUnchanged, kStale };
  Kind kind = Kind::kFirst;
  uint64_t from_ns = 0;  // the window this delta covers
  uint64_t to_ns = 0;
  int64_t units = 0;
};

class CumulativeTracker {
 public:
  struct State {
    uint64_t start_ns = 0, time_ns = 0;
    int64_t units = 0;
    bool is_int = true;
    uint64_t seq = 0;  // for eviction: larger is newer
  };
  struct Change {
    uint64_t key;
    bool had_prev;
    State prev, next;
  };

  explicit CumulativeTracker(size_t max_series) : max_series_(max_series) {}

  // The increase since the last point of series `key`, without recording
  // anything: the caller may still reject the point.
  Delta Peek(uint64_t key, const NumberPoint& p) const;
  // Makes `p` the series' last point (unless Peek said kStale) and records
  // the change for Undo.
  void Commit(uint64_t key, const NumberPoint& p, const Delta& d, std::vector<Change>* changes);
  // Puts back a state loaded from the StateStore (otlp.h).
  void Restore(uint64_t key, State s) {
    s.seq = ++seq_;
    series_[key] = s;
  }
  // Undoes changes (newest first) whose state was not moved on since.
  void Undo(const std::vector<Change>& changes);
  size_t size() const { return series_.size(); }

 private:
  void Evict();

  size_t max_series_;
  uint64_t seq_ = 0;
  std::unordered_map<uint64_t, State> series_;
};

}  // namespace burnrate::otlp
