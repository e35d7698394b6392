// Why not a B-tree or a Bloom filter: ids are random keys, so a B-tree index
// on them turns every insert into a random page write (slow at 500k/s), and
// a Bloom filter's false positives would silently drop real events. An
// in-memory exact set of 64-bit fingerprints costs ~14 bytes an id at the
// load factor kept here; with 64-bit fingerprints the chance of any false
// duplicate among 100 million ids in the window is about 3e-4.
//
// Beside each id, 4 bytes of what it first reported (model::UsageDigest):
// the same id again from the same source with other tokens is not a retry
// but an edited report, which the committer tells detection about
// (docs/detection.md, "Implausible usage"). Its own array, so the probe
// loop, which compares fingerprints only, touches the same cache lines as
// before; the digest is read once, for a hit.
//
// Each slot's day is the UTC day number modulo 32768 (about 90 years), plus
// one so that 0 can mean a free slot (DayOf), in 16 bits. Nothing is
// rebased: Live() compares a slot's day with today modulo 32768, which is
// exact as long as the window is far shorter than 90 years.
#include "ingest/dedup_index.h"

#include <algorithm>

#include "model/event.h"

namespace burnrate::ingest {

DedupIndex::DedupIndex(int window_days, size_t max_entries)
    : window_days_(window_days), max_entries_(max_entries) {
  Rebuild(1 << 16);
}

uint16_t DedupIndex::DayOf(TimeMs t) const {
  int64_t d = FloorDiv(t, kDayMs);
  return uint16_t((d & 0x7fff) + 1);
}

bool DedupIndex::Live(size_t slot) const {
  uint16_t d = days_[slot];
  if (d == kFree) return false;
  // Days are kept modulo 32768 (90 years); compare within the window.
  int64_t day = int64_t(d - 1);
  int64_t today_mod = today_ & 0x7fff;
  int64_t age = (today_mod - day + 0x8000) & 0x7fff;
  return age <= today_ - oldest_day_;
}

void DedupIndex::Advance(TimeMs now) {
  int64_t day = FloorDiv(now, kDayMs);
  if (day <= today_) return;
  today_ = day;
  oldest_day_ = std::max(oldest_day_, today_ - window_days_ + 1);
}

size_t DedupIndex::Find(uint64_t fp) const {
  size_t mask = fps_.size() - 1;
  for (size_t i = Mix(fp) & mask;; i = (i + 1) & mask) {
    if (days_[i] == kFree) return fps_.size();
    if (fps_[i] == fp && Live(i)) return i;
  }
}

DedupIndex::Seen DedupIndex::Check(uint64_t fp, uint32_t digest, TimeMs arrival) {
  Advance(arrival);
  size_t slot = Find(fp);
  if (slot != fps_.size())
    return model::UsageConflicts(digests_[slot], digest) ? Seen::kConflict : Seen::kDuplicate;
  Restore(fp, arrival, digest);
  return Seen::kNew;
}

void DedupIndex::Restore(uint64_t fp, TimeMs arrival, uint32_t digest) {
  Advance(arrival);
  MakeRoom(1);
  Place(fp, DayOf(arrival), digest);
}

void DedupIndex::RestoreBatch(std::span<const uint64_t> fps, std::span<const TimeMs> arrivals,
                              std::span<const uint32_t> digests) {
  if (fps.empty()) return;
  for (TimeMs t : arrivals) Advance(t);  // the window as of the newest arrival
  MakeRoom(fps.size());
  constexpr size_t kAhead = 16;
  size_t mask = fps_.size() - 1;
  for (size_t j = 0; j < fps.size(); ++j) {
    if (j + kAhead < fps.size()) {
      size_t ahead = Mix(fps[j + kAhead]) & mask;
      __builtin_prefetch(&fps_[ahead], 1);
      __builtin_prefetch(&days_[ahead], 1);
    }
    Place(fps[j], DayOf(arrivals[j]), j < digests.size() ? digests[j] : 0);
  }
}

void DedupIndex::MakeRoom(size_t n) {
  if ((used_ + n) * 10 <= fps_.size() * 7) return;
  // live_ also counts entries that expired since the last rebuild; count
  // exactly before deciding to grow, or the table would double at every
  // fill and grow with every id ever seen instead of with the window.
  size_t live = 0;
  for (size_t i = 0; i < fps_.size(); ++i) live += Live(i) ? 1 : 0;
  live_ = live;
  // Drop days past the bound before growing.
  while (live_ >= max_entries_ && oldest_day_ < today_) {
    ++oldest_day_;
    ++evicted_days_;
    Rebuild(fps_.size());
  }
  size_t want = fps_.size();
  while ((live_ + n) * 10 > want * 4) want *= 2;
  Rebuild(want);
}

void DedupIndex::Place(uint64_t fp, uint16_t day, uint32_t digest) {
  size_t mask = fps_.size() - 1;
  size_t i = Mix(fp) & mask;
  while (days_[i] != kFree && Live(i)) i = (i + 1) & mask;
  if (days_[i] == kFree) ++used_;
  fps_[i] = fp;
  days_[i] = day;
  digests_[i] = digest;
  ++live_;
}

void DedupIndex::Erase(uint64_t fp) {
  size_t slot = Find(fp);
  if (slot == fps_.size()) return;
  // Keep the slot occupied (probe chains pass through it) but expired.
  days_[slot] = uint16_t(((today_ - window_days_ - 1) & 0x7fff) + 1);
  if (live_ > 0) --live_;
}

void DedupIndex::Rebuild(size_t capacity) {
  std::vector<uint64_t> old_fps;
  std::vector<uint16_t> old_days;
  std::vector<uint32_t> old_digests;
  old_fps.swap(fps_);
  old_days.swap(days_);
  old_digests.swap(digests_);
  fps_.assign(capacity, 0);
  days_.assign(capacity, kFree);
  digests_.assign(capacity, 0);
  size_t mask = capacity - 1;
  used_ = live_ = 0;
  for (size_t j = 0; j < old_fps.size(); ++j) {
    if (j + 16 < old_fps.size() && old_days[j + 16] != kFree) {
      size_t ahead = Mix(old_fps[j + 16]) & mask;
      __builtin_prefetch(&fps_[ahead], 1);
      __builtin_prefetch(&days_[ahead], 1);
    }
    if (old_days[j] == kFree) continue;
    // Evaluate liveness against the old arrays' day, same rule as Live().
    int64_t day = int64_t(old_days[j] - 1);
    int64_t age = ((today_ & 0x7fff) - day + 0x8000) & 0x7fff;
    if (age > today_ - oldest_day_) continue;
    size_t i = Mix(old_fps[j]) & mask;
    while (days_[i] != kFree) i = (i + 1) & mask;
    fps_[i] = old_fps[j];
    days_[i] = old_days[j];
    digests_[i] = old_digests[j];
    ++used_, ++live_;
  }
}

}  // namespace burnrate::ingest
