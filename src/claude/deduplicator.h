// The de-duplication rule for Claude Code usage lines, in one place.
//
// Claude Code writes one line per content block of a response, each with the
// same message.id and requestId and the same usage: only the first counts.
// A sidechain (sub-agent) transcript may replay a response with the same
// message.id under another requestId; when either copy has
// isSidechain: true it is the same response and counts once. Lines missing
// message.id or requestId cannot be de-duplicated and always count.
//
// The first copy offered wins, so callers offer entries in a defined order
// (files by earliest timestamp, then line order, as ccusage does).
// Memory: one hash per distinct response and per distinct message id.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <unordered_set>

#include "claude/usage_entry.h"

namespace burnrate::claude {

class Deduplicator {
 public:
  enum class Verdict { kNew, kNoIds, kDuplicate, kSidechainReplay };

  // Decides whether `e` is a new response, and remembers it.
  Verdict Offer(const UsageEntry& e);
  // True for kNew and kNoIds: the entry counts.
  static bool Counts(Verdict v) { return v == Verdict::kNew || v == Verdict::kNoIds; }
  void Reserve(size_t n) { keys_.reserve(n), messages_.reserve(n); }

 private:
  struct MessageState {
    bool any_sidechain = false;
  };
  std::unordered_set<uint64_t> keys_;  // key_hi of (message.id, requestId)
  std::unordered_map<uint64_t, MessageState> messages_;  // by msg_hash
};

}  // namespace burnrate::claude
