// Ships one non-Claude source's usage to a burnrate server: one pass for
// `burnrate ingest --source NAME`, repeated passes for `burnrate agent`.
//
// A pass reads every log of the source again (the readers' de-duplication
// needs all of it: Codex forks are keyed by their lineage, Gemini messages
// by their last record) when any log file changed since the last pass, and
// ships each counted entry that is not in the shipped log, in batches. An
// entry is recorded as shipped only after the server acknowledged its batch,
// so a kill at any moment loses nothing; what was sent but not recorded is
// sent again and the server drops it by event id. Claude Code is followed
// by claude::ClaudeAgent instead, which reads only appended bytes.
//
// Not thread-safe: one follower, one thread. The EventSink is not owned.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "agents/shipped_log.h"
#include "agents/source.h"

namespace burnrate::agents {

struct FollowerOptions {
  Source source = Source::kCodex;
  std::vector<std::string> roots;
  std::string user, client;
  std::string shipped_path;  // empty: nothing remembered across runs
  size_t batch_events = 2000;
  int max_retries = -1;  // per batch; -1: retry until stopped
  int retry_delay_ms = 1000;
  const std::atomic<bool>* stop = nullptr;
};

struct FollowerStats {
  uint64_t files = 0, entries = 0;
  uint64_t shipped = 0, accepted = 0, duplicates = 0, rejected = 0;
  uint64_t skipped_lines = 0;
  std::string first_rejection;
};

class SourceFollower {
 public:
  SourceFollower(FollowerOptions opts, claude::EventSink* sink);

  // One pass. IOError when the server cannot be reached (retry later).
  Status Poll();
  const FollowerStats& stats() const { return stats_; }
  const FollowerOptions& options() const { return opts_; }
  // Directories to watch for changes: the roots and those holding logs.
  std::vector<std::string> Directories() const;

 private:
  uint64_t Signature(std::vector<std::string>* dirs) const;
  Status Flush(std::string* body, std::vector<EntryKey>* keys);

  FollowerOptions opts_;
  claude::EventSink* sink_;
  ShippedLog shipped_;
  bool loaded_ = false;
  uint64_t last_signature_ = 0;
  std::vector<std::string> dirs_;
  FollowerStats stats_;
};

}  // namespace burnrate::agents
