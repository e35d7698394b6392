// One usage line of a Claude Code transcript, reduced to what reports and
// the agent need. Plain value; strings are held as indexes into a
// StringTable owned by whoever owns the entries (see transcript_scan.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "model/event.h"

namespace burnrate::claude {

struct UsageEntry {
  TimeMs ts = 0;
  // xxh3 of message.id and of requestId; 0 when the field is missing.
  uint64_t msg_hash = 0;
  uint64_t req_hash = 0;
  // Stable 128-bit identity of the response (see EntryKey in
  // transcript_parser.cc): from (message.id, requestId) when both are
  // present, else from (project/file, line number, line bytes).
  uint64_t key_hi = 0, key_lo = 0;
  model::TokenCounts tokens;
  int64_t line_cost_nanos = -1;  // costUSD of the line in nano-USD; -1 = absent
  uint32_t model = 0;            // StringTable index ("" when absent)
  uint32_t session = 0;          // sessionId field, else the file's stem
  uint32_t project = 0;          // directory name under projects/
  uint32_t line = 0;             // 1-based line number in its file
  uint32_t file = 0;             // index into the scan's file list
  bool sidechain = false;
  bool api_error = false;  // isApiErrorMessage: true
  bool has_ids = false;    // both message.id and requestId present
};

// A line that could not be used: malformed JSON, truncated, or a usage line
// whose fields have the wrong type.
struct SkippedLine {
  uint32_t file = 0;
  uint32_t line = 0;
  std::string reason;
};

// Interns short strings (models, sessions, projects). Index 0 is "".
class StringTable {
 public:
  StringTable() { Intern(""); }
  uint32_t Intern(std::string_view s) {
    auto it = index_.find(std::string(s));
    if (it != index_.end()) return it->second;
    uint32_t id = static_cast<uint32_t>(strings_.size());
    strings_.emplace_back(s);
    index_.emplace(strings_.back(), id);
    return id;
  }
  const std::string& operator[](uint32_t id) const { return strings_[id]; }
  size_t size() const { return strings_.size(); }

 private:
  std::vector<std::string> strings_;
  std::unordered_map<std::string, uint32_t> index_;
};

}  // namespace burnrate::claude
