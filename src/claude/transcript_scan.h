// Finds Claude Code transcript files and reads them all into one
// de-duplicated list of usage entries: the input of reports and imports.
//
// Discovery: each root is either a Claude config directory holding
// `projects/` (~/.claude, ~/.config/claude, the entries of
// CLAUDE_CONFIG_DIR) or a directory of transcripts itself; every *.jsonl
// below it is read. The project of a file is the first directory below
// `projects/` (Claude Code names it after the working directory).
//
// Files are parsed on up to two threads; the entries are then merged in a
// fixed order (files by earliest usage timestamp, then path; lines in file
// order) and de-duplicated (deduplicator.h), so results do not depend on
// thread timing. Thread-safety: ScanTranscripts is reentrant.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "claude/usage_entry.h"
#include "common/status.h"

namespace burnrate::claude {

struct TranscriptFile {
  std::string path;
  std::string project;  // directory name below projects/, or "unknown"
  std::string rel;      // "<project>/<file name>": stable across machines and time zones
};

// The default roots: CLAUDE_CONFIG_DIR (comma-separated) when set, else
// ~/.config/claude and ~/.claude; only those that hold `projects/`.
// `getenv` is injectable for tests. NotFound when there is none.
Result<std::vector<std::string>> DefaultClaudeRoots(
    const std::function<const char*(const char*)>& getenv_fn);

// Lists the *.jsonl files below the roots, sorted by path. A root holding
// `projects/` is searched there; any other directory is searched as is.
Result<std::vector<TranscriptFile>> FindTranscripts(const std::vector<std::string>& roots);

struct ScanStats {
  uint64_t files = 0;
  uint64_t lines = 0;        // newline-terminated lines seen
  uint64_t usage_lines = 0;  // well-formed usage lines
  uint64_t duplicates = 0;   // same (message.id, requestId) as an earlier line
  uint64_t sidechain_replays = 0;
  uint64_t missing_ids = 0;  // counted without de-duplication
  uint64_t bytes = 0;
};

struct ScanResult {
  StringTable strings;
  std::vector<TranscriptFile> files;
  std::vector<UsageEntry> entries;  // counted entries, merge order
  std::vector<SkippedLine> skipped;
  ScanStats stats;
};

struct ScanOptions {
  std::string project;  // only this project when not empty
  int threads = 0;      // 0: 2 when there are many files, else 1
};

Result<ScanResult> ScanTranscripts(std::vector<TranscriptFile> files, const ScanOptions& opts);

}  // namespace burnrate::claude
