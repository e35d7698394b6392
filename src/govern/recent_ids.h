// RecentIds: the event ids seen lately, bounded in time and in count.
//
// The Governor keeps two: the ids a settle has counted and the ids
// ingestion has counted, so that a settle naming an event_id and the
// ingested event with that id count once, whichever comes first.
//
// An id is remembered for `ttl` after it was added, and at most
// `max_entries` ids are held (the oldest go first). Ids are kept as 64-bit
// hashes (a false match needs a collision among the ids held: about
// n^2 / 2^65, below 1e-7 at 1M ids) in an open-addressing table (linear
// probing, at most half full, deletion by backward shift), about 40 bytes
// each with the FIFO. Ingestion adds one id per usage event, so an add
// must not allocate: a node-based map cost a malloc and a free per event.
//
// Thread-safety: none; the Governor holds misc_mu_ around every call.
#pragma once

#include <cstdint>
#include <deque>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"

namespace burnrate::govern {

class RecentIds {
 public:
  RecentIds(TimeMs ttl, size_t max_entries) : ttl_(ttl), max_(max_entries) {}

  // True when `id` was added no more than ttl before `now`.
  bool Contains(std::string_view id, TimeMs now) const;
  // Remembers `id` as seen at `at` (a second add keeps the first time), and
  // forgets what expired by then or is over the count.
  void Add(std::string_view id, TimeMs at);
  void Erase(std::string_view id);
  size_t size() const { return size_; }

  // The same by an id's key (KeyOf), for a caller that adds many ids in a
  // row and starts their loads ahead (Governor::OnUsageBatch): Prefetch asks
  // the CPU for the slot `key` starts probing at, and for the slot of the
  // entry the `ahead`-th next add would expire first. A hint only.
  static uint64_t KeyOf(std::string_view id);
  bool ContainsKey(uint64_t key, TimeMs now) const;
  void AddKey(uint64_t key, TimeMs at);
  void Prefetch(uint64_t key, size_t ahead) const;

 private:
  struct Slot {
    uint64_t key = 0;  // id hash, never 0; 0: empty
    TimeMs at = 0;     // time added
  };
  Slot* Find(uint64_t key);
  const Slot* Find(uint64_t key) const;
  void EraseSlot(size_t i);
  void Grow();

  TimeMs ttl_;
  size_t max_;
  std::vector<Slot> slots_;  // power-of-two size, or empty
  size_t size_ = 0;
  std::deque<std::pair<TimeMs, uint64_t>> order_;  // in order added, for expiry
};

}  // namespace burnrate::govern
