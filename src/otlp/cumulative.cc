// CUMULATIVE to delta conversion.
//
// A cumulative series reports its running total since start_time. burnrate
// counts increases: the first point of a series counts in full (it is the
// total since the series started; an exporter that sends cumulative values
// starts from zero), each later point counts value - last value over the
// window (last time, time]. A reset (the process restarted) shows as a new
// start time or as a value lower than the last one; then the new value
// counts in full, because it is what was used since the restart. A point
// not newer than the last one (a retry, or out of order) counts nothing.
// Peek and Commit are separate so that a point the receiver rejects after
// seeing its delta (beyond a ceiling, say) leaves the series untouched.
//
// The window of each delta names the event: a retried request after a
// failed commit (Undo put the state back) yields the same window, hence the
// same event id, and the ingest layer's de-duplication keeps it once.
#include "otlp/cumulative.h"

#include <algorithm>
#include <cmath>

namespace burnrate::otlp {

// Clamped to +-2^62 so that differences of two points cannot overflow.
int64_t PointUnits(const NumberPoint& p) {
  constexpr int64_t kMax = int64_t(1) << 62;
  if (p.is_int) return std::clamp<int64_t>(p.as_int, -kMax, kMax);
  double scaled = p.as_double * 1e9;
  if (scaled > double(kMax)) return kMax;
  if (scaled < -double(kMax)) return -kMax;
  return std::llround(scaled);
}

Delta CumulativeTracker::Peek(uint64_t key, const NumberPoint& p) const {
  int64_t units = PointUnits(p);
  auto it = series_.find(key);
  if (it == series_.end()) return {Delta::Kind::kFirst, p.start_ns, p.time_ns, units};
  const State& s = it->second;
  bool restarted = s.start_ns != p.start_ns || s.is_int != p.is_int;
  if (!restarted && p.time_ns <= s.time_ns) return {Delta::Kind::kStale, s.time_ns, s.time_ns, 0};
  if (restarted && p.start_ns != 0 && p.start_ns < s.start_ns) {
    return {Delta::Kind::kStale, s.time_ns, s.time_ns, 0};  // a late point of an older run
  }
  if (restarted || units < s.units) return {Delta::Kind::kReset, p.start_ns, p.time_ns, units};
  return {units == s.units ? Delta::Kind::kUnchanged : Delta::Kind::kIncrease, s.time_ns, p.time_ns,
          units - s.units};
}

void CumulativeTracker::Commit(uint64_t key, const NumberPoint& p, const Delta& d,
                               std::vector<Change>* changes) {
  if (d.kind == Delta::Kind::kStale) return;
  State next{p.start_ns, p.time_ns, PointUnits(p), p.is_int, ++seq_};
  auto it = series_.find(key);
  bool had = it != series_.end();
  changes->push_back({key, had, had ? it->second : State{}, next});
  series_[key] = next;
  if (series_.size() > max_series_) Evict();
}

void CumulativeTracker::Undo(const std::vector<Change>& changes) {
  for (auto c = changes.rbegin(); c != changes.rend(); ++c) {
    auto it = series_.find(c->key);
    if (it == series_.end() || it->second.seq != c->next.seq) continue;  // moved on since
    if (c->had_prev)
      it->second = c->prev;
    else
      series_.erase(it);
  }
}

void CumulativeTracker::Evict() {
  // Drop the oldest tenth; a dropped series that reports again counts its
  // running total in full, so the cap must be far above the live series.
  std::vector<uint64_t> seqs;
  seqs.reserve(series_.size());
  for (const auto& [k, s] : series_) seqs.push_back(s.seq);
  size_t drop = std::max<size_t>(1, series_.size() / 10);
  std::nth_element(seqs.begin(), seqs.begin() + long(drop - 1), seqs.end());
  uint64_t cutoff = seqs[drop - 1];
  std::erase_if(series_, [&](const auto& kv) { return kv.second.seq <= cutoff; });
}

}  // namespace burnrate::otlp
