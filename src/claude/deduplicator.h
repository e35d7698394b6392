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
// Memory: two open-addressing tables of 64-bit hashes (16 bytes per
// distinct response at most). Not thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "claude/usage_entry.h"

namespace burnrate::claude {

class Deduplicator {
 public:
  enum class Verdict { kNew, kNoIds, kDuplicate, kSidechainReplay };

  // Decides whether `e` is a new response, and remembers it.
  Verdict Offer(const UsageEntry& e);
  // True for kNew and kNoIds: the entry counts.
  static bool Counts(Verdict v) { return v == Verdict::kNew || v == Verdict::kNoIds; }

 private:
  // A set of non-zero 64-bit hashes with linear probing; the low bit of a
  // slot's value is free for a flag because hashes are stored with it set.
  class HashTable {
   public:
    // Returns the slot of h, inserting it (with flag false) when absent.
    uint64_t* FindOrInsert(uint64_t h, bool* inserted);

   private:
    void Grow();
    std::vector<uint64_t> slots_ = std::vector<uint64_t>(1024, 0);
    size_t used_ = 0;
  };
  HashTable keys_;      // key_hi of (message.id, requestId)
  HashTable messages_;  // msg_hash; flag = some copy was a sidechain
};

}  // namespace burnrate::claude
