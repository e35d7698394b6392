// NameIndex: dense ids by name, for tables whose names never move.
//
// The ingest path looks up three or four names per event (the engine's
// user, team, project and model; detection's user-day), and in an
// organisation's stream, where events of 80,000 users interleave, almost
// every lookup misses the caches. A node-based std::unordered_map costs a
// bucket load, a node load and the name's load for each (three misses);
// this table is one array of 24-byte slots (the name's 64-bit hash, a view
// of the name, its id), probed linearly and kept at most half full, so a
// lookup is one slot load, and the name is compared only when the full
// hash matches (the owner's entry, which it touches next anyway).
//
// Names are views: the owner keeps each name at a fixed address for as
// long as the index holds it (ChunkedVector elements, common/chunked_vector.h).
// There is no erase: the tables only grow, or are cleared whole.
// Thread-safety: none; the owner serialises access.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "common/hash.h"
#include "common/prefetch.h"

namespace burnrate {

class NameIndex {
 public:
  static constexpr uint32_t kNotFound = UINT32_MAX;

  static uint64_t HashOf(std::string_view name) { return Hash64(name, 0x6e616d65); }

  // The id of `name` (whose HashOf is `hash`), or kNotFound.
  uint32_t Find(std::string_view name, uint64_t hash) const {
    if (slots_.empty()) return kNotFound;
    size_t mask = slots_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.id == kNotFound) return kNotFound;
      if (s.hash == hash && s.name == name) return s.id;
    }
  }
  uint32_t Find(std::string_view name) const { return Find(name, HashOf(name)); }

  // For a caller that knows its names some steps ahead (Engine::Apply's
  // prefetch): asks the CPU to load the slot `hash` starts probing at.
  void Prefetch(uint64_t hash) const {
    if (!slots_.empty()) burnrate::Prefetch(&slots_[hash & (slots_.size() - 1)]);
  }
  // The id of the first slot on `hash`'s probe run whose hash matches,
  // without comparing the name (which would load the owner's entry): a
  // guess to prefetch that entry by; kNotFound when none matches. Only
  // Find answers which id a name has.
  uint32_t Probable(uint64_t hash) const {
    if (slots_.empty()) return kNotFound;
    size_t mask = slots_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.id == kNotFound || s.hash == hash) return s.id;
    }
  }

  // Adds `name` -> `id` unless the name is there already; false then (and
  // the index is unchanged). `name` must stay where it is while indexed.
  bool Insert(std::string_view name, uint64_t hash, uint32_t id) {
    if (2 * (size_ + 1) > slots_.size()) Grow();
    size_t mask = slots_.size() - 1;
    size_t i = hash & mask;
    for (; slots_[i].id != kNotFound; i = (i + 1) & mask)
      if (slots_[i].hash == hash && slots_[i].name == name) return false;
    slots_[i] = {hash, name, id};
    ++size_;
    return true;
  }
  bool Insert(std::string_view name, uint32_t id) { return Insert(name, HashOf(name), id); }
  // As std::unordered_map's, for callers written against one.
  std::pair<uint32_t, bool> emplace(std::string_view name, uint32_t id) {
    uint64_t h = HashOf(name);
    bool added = Insert(name, h, id);
    return {added ? id : Find(name, h), added};
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  void clear() {
    slots_.clear();
    size_ = 0;
  }
  void reserve(size_t n) {
    while (2 * n > slots_.size()) Grow();
  }
  size_t memory_bytes() const { return slots_.capacity() * sizeof(Slot); }

 private:
  struct Slot {
    uint64_t hash = 0;
    std::string_view name;
    uint32_t id = kNotFound;  // kNotFound: an empty slot
  };
  void Grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 16 : old.size() * 2, Slot{});
    size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.id == kNotFound) continue;
      size_t i = s.hash & mask;
      while (slots_[i].id != kNotFound) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }
  std::vector<Slot> slots_;  // power-of-two size, at most half full
  size_t size_ = 0;
};

}  // namespace burnrate
