#include "claude/deduplicator.h"

namespace burnrate::claude {
namespace {
constexpr uint64_t kFlag = 1;  // low bit: sidechain seen (messages_ only)
constexpr uint64_t kTag = 2;   // second bit always set: a stored hash is never 0
size_t Slot(uint64_t key, size_t mask) { return (key * 0x9E3779B97F4A7C15ULL >> 29) & mask; }
}  // namespace

uint64_t* Deduplicator::HashTable::FindOrInsert(uint64_t h, bool* inserted) {
  if ((used_ + 1) * 4 > slots_.size() * 3) Grow();
  uint64_t key = (h | kTag) & ~kFlag;
  size_t mask = slots_.size() - 1;
  for (size_t i = Slot(key, mask);; i = (i + 1) & mask) {
    uint64_t& s = slots_[i];
    if (s == 0) {
      s = key;
      ++used_;
      *inserted = true;
      return &s;
    }
    if ((s & ~kFlag) == key) {
      *inserted = false;
      return &s;
    }
  }
}

void Deduplicator::HashTable::Grow() {
  std::vector<uint64_t> old(slots_.size() * 2, 0);
  old.swap(slots_);
  size_t mask = slots_.size() - 1;
  for (uint64_t s : old) {
    if (s == 0) continue;
    size_t i = Slot(s & ~kFlag, mask);
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

Deduplicator::Verdict Deduplicator::Offer(const UsageEntry& e) {
  if (!e.has_ids) return Verdict::kNoIds;
  bool inserted;
  keys_.FindOrInsert(e.key_hi, &inserted);
  if (!inserted) return Verdict::kDuplicate;
  uint64_t* m = messages_.FindOrInsert(e.msg_hash, &inserted);
  bool any_sidechain = *m & kFlag;
  if (e.sidechain) *m |= kFlag;
  if (!inserted && (e.sidechain || any_sidechain)) return Verdict::kSidechainReplay;
  return Verdict::kNew;
}

}  // namespace burnrate::claude
