// The set of usage entries a follower has shipped and the server has
// acknowledged, kept on disk so a restarted agent never ships them again
// (the server only remembers event ids for about a week).
//
// File format: the line "burnrate-shipped 1\n", then 16-byte records
// (key_hi, key_lo, little-endian). Append() writes and fsyncs before it
// returns, so an acknowledged entry is never shipped twice after a crash; a
// torn last record (a crash mid-write) is ignored on load. 16 bytes per
// event: a year of heavy use is a few megabytes. Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "common/status.h"

namespace burnrate::agents {

struct EntryKey {
  uint64_t hi = 0, lo = 0;
  bool operator==(const EntryKey&) const = default;
};
struct EntryKeyHash {
  size_t operator()(const EntryKey& k) const { return k.hi ^ (k.lo * 0x9E3779B97F4A7C15ull); }
};

class ShippedLog {
 public:
  // An empty path keeps the set in memory only (one-shot imports).
  explicit ShippedLog(std::string path) : path_(std::move(path)) {}

  // A missing file is an empty set; a file with another header is an
  // error naming it.
  Status Load();
  bool Contains(const EntryKey& k) const { return keys_.count(k) != 0; }
  // Adds the keys and makes them durable.
  Status Append(const std::vector<EntryKey>& keys);
  size_t size() const { return keys_.size(); }

 private:
  std::string path_;
  std::unordered_set<EntryKey, EntryKeyHash> keys_;
};

}  // namespace burnrate::agents
