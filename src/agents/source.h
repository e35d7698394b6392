// The coding agents whose local logs burnrate reads, and the one entry
// point that reads any of them into the claude layer's ScanResult (so that
// reports, imports and the agent treat every source alike).
//
// Each source has a reader (codex_reader.h, gemini_reader.h,
// opencode_reader.h; Claude Code is the claude layer's) that turns its logs
// into de-duplicated UsageEntry values with stable 128-bit keys. Where each
// source is read from and how it is counted is in docs/agents.md.
//
// Thread-safety: all functions are reentrant.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "claude/claude.h"
#include "common/status.h"

namespace burnrate::agents {

enum class Source { kClaude, kCodex, kGemini, kOpenCode };

using EnvFn = std::function<const char*(const char*)>;

inline constexpr Source kAllSources[] = {Source::kClaude, Source::kCodex, Source::kGemini,
                                         Source::kOpenCode};

// "claude", "codex", "gemini", "opencode": the --source names.
std::string_view SourceName(Source s);
// The event's `source` field: "claude_code", "codex", "gemini_cli", "opencode".
std::string_view EventSourceName(Source s);
// The prefix of event ids: "cc-", "cx-", "gm-", "oc-".
std::string_view EventIdPrefix(Source s);
// Parses a --source name; InvalidArgument naming the valid ones otherwise.
Result<Source> ParseSource(std::string_view name);

// Where a source's logs are on this machine (environment, then defaults):
// directories for log files, the database file for OpenCode. NotFound when
// the source has never run here.
Result<std::vector<std::string>> DefaultRoots(Source s, const EnvFn& env);

// Reads every log of `s` below `roots` (directories, or for OpenCode the
// database file or its directory). `project`, when not empty, keeps only
// that project. Errors: a root that cannot be read; bad lines are skipped
// and listed, never fatal.
Result<claude::ScanResult> ScanSource(Source s, const std::vector<std::string>& roots,
                                      const claude::ScanOptions& opts);

// Where a log reader found one request: the interned strings of the scan it
// is added to, and its file and line.
struct EntrySite {
  uint32_t model = 0, session = 0, project = 0;
  uint32_t file = 0, line = 0;
};

// The UsageEntry of one de-duplicated request read from an agent's log
// (every reader's last step): its time, stable 128-bit key, tokens and site.
claude::UsageEntry MakeLogEntry(TimeMs ts, uint64_t key_hi, uint64_t key_lo,
                                const model::TokenCounts& tokens, const EntrySite& site);

// Appends `from` to `into`, re-interning strings and renumbering files.
void MergeScan(claude::ScanResult&& from, claude::ScanResult* into);

}  // namespace burnrate::agents
