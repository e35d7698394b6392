// Event blocks: the on-disk form of one group commit's events.
//
// The SQLite store keeps each Append() (one group commit) as ONE row whose
// blob is an EventBlock: the events in a compact columnar encoding (a
// per-block string dictionary for the repetitive names, zig-zag varints and
// deltas for numbers, prompt features kept bit for bit), compressed with
// zstd. See event_block.cc for the format and why.
//
// Usage: an EventBlockWriter collects events with Add() and produces the
// blob with Finish(); an EventBlockReader turns a blob back into events.
// Both keep their buffers and zstd contexts between blocks, so reuse one.
//
// Ownership: Add() keeps string_views into the events' strings until
// Finish() or Clear(); the caller keeps the events alive until then.
// Thread-safety: none; one writer or reader per thread (the store guards
// its own with its mutex).
// Errors: Decode() returns Status::IOError("corrupt event block: ...")
// naming what is wrong for a corrupt, truncated or oversized blob, and never
// reads out of bounds. Finish() fails only if zstd does.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "model/event.h"

namespace burnrate::store {

// Format limits: a decoded block larger than this, or with more events, is
// refused as corrupt. Writers keep far below (the store starts a new block
// every kBlockEvents events or kBlockRawBytes bytes).
inline constexpr size_t kMaxEventBlockRawBytes = size_t(256) << 20;
inline constexpr uint64_t kMaxEventBlockEvents = uint64_t(1) << 20;

class EventBlockWriter {
 public:
  explicit EventBlockWriter(int zstd_level = 1);
  ~EventBlockWriter();
  EventBlockWriter(const EventBlockWriter&) = delete;
  EventBlockWriter& operator=(const EventBlockWriter&) = delete;

  void Add(const model::Event& e);
  size_t size() const { return n_; }
  // Bytes added so far, before compression (approximate, for splitting).
  size_t raw_bytes() const;
  // Writes the compressed block of every event added since the last
  // Finish()/Clear() into *out (replacing its contents) and starts a new
  // block.
  Status Finish(std::string* out);
  void Clear();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  size_t n_ = 0;
};

class EventBlockReader {
 public:
  EventBlockReader();
  ~EventBlockReader();
  EventBlockReader(const EventBlockReader&) = delete;
  EventBlockReader& operator=(const EventBlockReader&) = delete;

  // Replaces *out with the block's events, reusing its elements' string
  // buffers. On error *out is unspecified.
  Status Decode(std::string_view blob, std::vector<model::Event>* out,
                size_t max_raw_bytes = kMaxEventBlockRawBytes);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace burnrate::store
