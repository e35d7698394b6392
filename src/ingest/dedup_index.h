// Exact de-duplication of event ids over a sliding window of days.
//
// Holds the 64-bit fingerprint of every id accepted in the last
// `window_days` days (by arrival day, UTC) in one open-addressing table:
// 14 bytes a slot (fingerprint, arrival day, and a 32-bit digest of the
// usage the id was first reported with, model::UsageDigest), no per-entry
// allocation.
// Entries past the window count as free; the table is rebuilt without them
// when it fills. Memory is bounded by `max_entries`: past it the oldest day
// is dropped early and `evicted_days()` counts it, so an operator sees the
// window shrink instead of the process growing without bound.
//
// Not thread-safe: the committer thread owns it.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/clock.h"
#include "common/prefetch.h"

namespace burnrate::ingest {

class DedupIndex {
 public:
  explicit DedupIndex(int window_days = 8, size_t max_entries = 400'000'000);

  enum class Seen : uint8_t {
    kNew,        // not in the window: inserted
    kDuplicate,  // in the window with the same digest (or either is 0): a retry
    kConflict,   // in the window with a conflicting digest (model::UsageConflicts)
  };
  // Looks fp up in the window; inserts it with `digest` when absent. A
  // duplicate keeps the digest it was first inserted with.
  Seen Check(uint64_t fp, uint32_t digest, TimeMs arrival);
  // True if fp was inserted within the window; else inserts it (digest 0)
  // and returns false.
  bool SeenOrInsert(uint64_t fp, TimeMs arrival) { return Check(fp, 0, arrival) != Seen::kNew; }
  // Asks the CPU for the slots fp's lookup starts at: a caller checking many
  // ids in a row (the committer) calls it some ids ahead, so the table's
  // cache misses overlap instead of following one another. A hint only.
  void Prefetch(uint64_t fp) const {
    size_t i = Mix(fp) & (fps_.size() - 1);
    burnrate::Prefetch(&fps_[i]);
    burnrate::Prefetch(&days_[i]);
  }
  // Forgets fp (used when a batch fails to commit).
  void Erase(uint64_t fp);
  // Inserts without checking, for recovery from the store.
  void Restore(uint64_t fp, TimeMs arrival, uint32_t digest = 0);
  // Restore() of many ids at once (recovery): grows the table once for the
  // whole batch and prefetches slots ahead, so a cold table costs about one
  // cache miss per id instead of a dependent miss chain plus rehashing.
  // `arrivals` and `digests` are parallel to `fps` (`digests` empty: 0).
  void RestoreBatch(std::span<const uint64_t> fps, std::span<const TimeMs> arrivals,
                    std::span<const uint32_t> digests = {});

  size_t size() const { return live_; }
  size_t capacity() const { return fps_.size(); }
  size_t memory_bytes() const {
    return fps_.size() * (sizeof(uint64_t) + sizeof(uint16_t) + sizeof(uint32_t));
  }
  int64_t evicted_days() const { return evicted_days_; }

 private:
  static constexpr uint16_t kFree = 0;
  static size_t Mix(uint64_t fp) { return size_t(fp ^ (fp >> 29)) * 0x9E3779B97F4A7C15ULL; }
  uint16_t DayOf(TimeMs t) const;
  bool Live(size_t slot) const;
  void Advance(TimeMs now);
  void Rebuild(size_t capacity);
  void MakeRoom(size_t n);                                 // room for n more entries at load <= 0.7
  void Place(uint64_t fp, uint16_t day, uint32_t digest);  // insert after MakeRoom
  size_t Find(uint64_t fp) const;                          // slot of fp, or capacity if absent

  int window_days_;
  size_t max_entries_;
  std::vector<uint64_t> fps_;
  std::vector<uint16_t> days_;     // day number + 1 (0 = free); parallel to fps_
  std::vector<uint32_t> digests_;  // usage digest (0 = unknown); parallel to fps_
  size_t used_ = 0;                // slots not free (live or expired)
  size_t live_ = 0;                // approximate live entries
  int64_t today_ = 0;
  int64_t oldest_day_ = 0;  // first day still in the window
  int64_t evicted_days_ = 0;
};

}  // namespace burnrate::ingest
