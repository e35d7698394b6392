#include "govern/recent_ids.h"

#include "common/hash.h"

namespace burnrate::govern {

uint64_t RecentIds::Key(std::string_view id) { return Hash64(id, 0x5e77); }

bool RecentIds::Contains(std::string_view id, TimeMs now) const {
  auto it = at_.find(Key(id));
  return it != at_.end() && it->second + ttl_ >= now;
}

void RecentIds::Add(std::string_view id, TimeMs at) {
  uint64_t key = Key(id);
  if (at_.try_emplace(key, at).second) order_.emplace_back(at, key);
  // Expiry in the order added; an entry erased (or re-added later) is
  // skipped by the time check. Replayed ids arrive with past times, so the
  // front may be newer than an entry behind it: that one is forgotten a
  // little late, never early, and the count bound holds regardless.
  while (!order_.empty() && (order_.front().first + ttl_ < at || order_.size() > max_)) {
    auto [t, k] = order_.front();
    order_.pop_front();
    if (auto it = at_.find(k); it != at_.end() && it->second == t) at_.erase(it);
  }
}

void RecentIds::Erase(std::string_view id) { at_.erase(Key(id)); }

}  // namespace burnrate::govern
