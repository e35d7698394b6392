#include "detect/flag_store.h"

#include <algorithm>

#include "common/hash.h"
#include "detect/prompt_features.h"

namespace burnrate::detect {

const char* ReviewStateName(ReviewState s) {
  switch (s) {
    case ReviewState::kOpen: return "open";
    case ReviewState::kConfirmed: return "confirmed";
    case ReviewState::kDismissed: return "dismissed";
  }
  return "open";
}

std::string FlagId(std::string_view user, int64_t day) {
  std::string key(user);
  key += '\0';
  key += std::to_string(day);
  return FingerprintHex(Hash64(key));
}

void InMemoryFlagStore::Put(const Flag& f) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = flags_.find(f.id);
  if (it == flags_.end()) {
    flags_.emplace(f.id, f);
    return;
  }
  Flag merged = f;
  merged.state = it->second.state;
  merged.note = it->second.note;
  merged.reviewer = it->second.reviewer;
  merged.reviewed_at = it->second.reviewed_at;
  it->second = std::move(merged);
}

std::optional<Flag> InMemoryFlagStore::Get(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = flags_.find(id);
  if (it == flags_.end()) return std::nullopt;
  return it->second;
}

std::optional<Flag> InMemoryFlagStore::Find(const std::string& user, int64_t day) const {
  return Get(FlagId(user, day));
}

std::vector<Flag> InMemoryFlagStore::List(int64_t from_day, int64_t to_day) const {
  std::vector<Flag> out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, f] : flags_)
      if (f.day >= from_day && f.day <= to_day) out.push_back(f);
  }
  std::sort(out.begin(), out.end(), [](const Flag& a, const Flag& b) {
    return a.score != b.score ? a.score > b.score : a.id < b.id;
  });
  return out;
}

Result<Flag> InMemoryFlagStore::Review(const std::string& id, ReviewState s, std::string note,
                                       std::string reviewer, TimeMs at) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = flags_.find(id);
  if (it == flags_.end()) return Status::NotFound("no flag with id " + id);
  it->second.state = s;
  it->second.note = std::move(note);
  it->second.reviewer = std::move(reviewer);
  it->second.reviewed_at = at;
  return it->second;
}

}  // namespace burnrate::detect
