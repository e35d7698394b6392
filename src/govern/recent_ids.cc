#include "govern/recent_ids.h"

#include "common/hash.h"
#include "common/prefetch.h"

namespace burnrate::govern {

uint64_t RecentIds::KeyOf(std::string_view id) {
  uint64_t k = Hash64(id, 0x5e77);
  return k == 0 ? 1 : k;  // 0 marks an empty slot
}

const RecentIds::Slot* RecentIds::Find(uint64_t key) const {
  if (slots_.empty()) return nullptr;
  size_t mask = slots_.size() - 1;
  for (size_t i = key & mask;; i = (i + 1) & mask) {
    if (slots_[i].key == key) return &slots_[i];
    if (slots_[i].key == 0) return nullptr;
  }
}

RecentIds::Slot* RecentIds::Find(uint64_t key) {
  return const_cast<Slot*>(std::as_const(*this).Find(key));
}

// Backward-shift deletion: the entries after slot i in its probe run move
// back when slot i lies between their home slot and where they sit, so
// every entry stays reachable from its home without tombstones.
void RecentIds::EraseSlot(size_t i) {
  size_t mask = slots_.size() - 1;
  for (size_t j = (i + 1) & mask; slots_[j].key != 0; j = (j + 1) & mask) {
    size_t home = slots_[j].key & mask;
    if (((j - home) & mask) >= ((j - i) & mask)) {
      slots_[i] = slots_[j];
      i = j;
    }
  }
  slots_[i] = Slot{};
  --size_;
}

void RecentIds::Grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.empty() ? 64 : old.size() * 2, Slot{});
  size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.key == 0) continue;
    size_t i = s.key & mask;
    while (slots_[i].key != 0) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

bool RecentIds::Contains(std::string_view id, TimeMs now) const {
  return ContainsKey(KeyOf(id), now);
}

bool RecentIds::ContainsKey(uint64_t key, TimeMs now) const {
  const Slot* s = Find(key);
  return s != nullptr && s->at + ttl_ >= now;
}

void RecentIds::Prefetch(uint64_t key, size_t ahead) const {
  if (slots_.empty()) return;
  size_t mask = slots_.size() - 1;
  burnrate::Prefetch(&slots_[key & mask]);
  if (ahead < order_.size()) burnrate::Prefetch(&slots_[order_[ahead].second & mask]);
}

void RecentIds::Add(std::string_view id, TimeMs at) { AddKey(KeyOf(id), at); }

void RecentIds::AddKey(uint64_t key, TimeMs at) {
  if (Find(key) == nullptr) {
    if (2 * (size_ + 1) > slots_.size()) Grow();
    size_t mask = slots_.size() - 1;
    size_t i = key & mask;
    while (slots_[i].key != 0) i = (i + 1) & mask;
    slots_[i] = {key, at};
    ++size_;
    order_.emplace_back(at, key);
  }
  // Expiry in the order added; an entry erased (or re-added later) is
  // skipped by the time check. Replayed ids arrive with past times, so the
  // front may be newer than an entry behind it: that one is forgotten a
  // little late, never early, and the count bound holds regardless.
  while (!order_.empty() && (order_.front().first + ttl_ < at || order_.size() > max_)) {
    auto [t, k] = order_.front();
    order_.pop_front();
    if (Slot* s = Find(k); s != nullptr && s->at == t) EraseSlot(size_t(s - slots_.data()));
  }
}

void RecentIds::Erase(std::string_view id) {
  if (Slot* s = Find(KeyOf(id))) EraseSlot(size_t(s - slots_.data()));
}

}  // namespace burnrate::govern
