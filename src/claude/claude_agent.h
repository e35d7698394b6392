// Ships Claude Code usage to a burnrate server: one-shot import
// (`burnrate ingest --claude`) and follow mode (`burnrate agent`).
//
// Init() reads every transcript once, in the report's order, to rebuild the
// de-duplication state, and ships every counted entry not yet covered by the
// checkpoint. Poll() then reads only the bytes appended since (complete
// lines only; a half-written last line waits for its newline), de-duplicates
// against everything seen, and ships. Positions are checkpointed only after
// the server acknowledged the events before them, so a kill at any moment
// loses nothing; what was shipped but not checkpointed is shipped again and
// the server drops it by event id (usage_event.h). A file whose inode
// changed or that shrank is read again from the start.
//
// Not thread-safe: one agent, one thread. The EventSink is not owned.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "claude/checkpoint.h"
#include "claude/deduplicator.h"
#include "claude/event_sink.h"
#include "claude/transcript_parser.h"
#include "claude/transcript_scan.h"

namespace burnrate::claude {

struct AgentOptions {
  std::vector<std::string> roots;  // config dirs or transcript dirs
  std::string user;                // the events' user
  std::string client;              // the events' client (machine id); empty: not sent
  std::string checkpoint_path;     // empty: no checkpoint (one-shot import)
  size_t batch_events = 2000;
  int max_retries = -1;  // per batch; -1: retry until stopped
  int retry_delay_ms = 1000;
  const std::atomic<bool>* stop = nullptr;  // checked while retrying
};

struct AgentStats {
  uint64_t files = 0;
  uint64_t shipped = 0;  // events sent (including re-sends)
  uint64_t accepted = 0;
  uint64_t duplicates = 0;
  uint64_t rejected = 0;
  uint64_t skipped_lines = 0;  // malformed lines seen
  std::string first_rejection;
};

class ClaudeAgent {
 public:
  ClaudeAgent(AgentOptions opts, EventSink* sink);

  Status Init();
  Status Poll();
  const AgentStats& stats() const { return stats_; }
  // The directories holding known transcripts, and the roots (to watch).
  std::vector<std::string> Directories() const;

 private:
  struct Tracked {
    FilePosition pos;  // acknowledged position
    FileContext ctx;
    // Features of the last user prompt not yet followed by a response; the
    // next usage line of the file carries them (when it counts).
    model::PromptFeatures pending_prompt;
  };
  Status InitImpl();
  Status PollImpl();
  Status ReadNew(const std::string& path, Tracked* t, ParseOutput* out, FilePosition* next);
  Status Offer(const ParseOutput& out, const FilePosition* already_shipped, Tracked* t,
               std::string* body, size_t* pending);
  Status Flush(std::string* body, size_t* pending);
  Status Commit(const std::vector<std::pair<std::string, FilePosition>>& positions);
  Tracked& Track(const TranscriptFile& f);

  AgentOptions opts_;
  EventSink* sink_;
  Checkpoint checkpoint_;
  StringTable strings_;
  Deduplicator dedup_;
  TranscriptParser parser_;
  std::unordered_map<std::string, Tracked> files_;
  AgentStats stats_;
  bool dirty_ = false;   // the last pass failed: rebuild before shipping more
  bool loaded_ = false;  // checkpoint read from disk
};

// Polls until `stop`: after each pass it waits for a change in the watched
// directories (inotify) or `poll_ms`, whichever comes first. Returns the
// first non-retryable error.
Status RunAgentLoop(ClaudeAgent* agent, const std::atomic<bool>& stop, int poll_ms);

}  // namespace burnrate::claude
