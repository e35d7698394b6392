// Reads Codex CLI rollout logs: ${CODEX_HOME:-~/.codex}/sessions/YYYY/MM/DD/
// rollout-*.jsonl and archived_sessions/rollout-*.jsonl.
//
// Counted records: `event_msg` whose payload.type is "token_count" and whose
// payload.info is not null. info.total_token_usage is the thread's running
// total; an entry is the increase of that total since the previous record
// of the file (info.last_token_usage when there is no total, or when the
// total went down because a resumed process started counting again).
// Tokens: input = input_tokens - cached_input_tokens - cache_write_input_tokens,
// cache_read = cached_input_tokens, cache_write = cache_write_input_tokens,
// output = output_tokens (reasoning_output_tokens is part of it). The model
// is the latest turn_context's payload.model.
//
// No double counting (docs/agents.md):
//  - a record repeating the previous total adds nothing;
//  - a forked or sub-agent rollout (its first session_meta names a parent)
//    starts with a copy of the parent's records; every record is keyed by
//    (root thread of its lineage, running total, last usage), so a copy is
//    the same key as the original and counts once, in the file that comes
//    first (files by earliest timestamp, then path);
//  - the entry's own key (its event id) is model::CodexRequestKey of the
//    thread it was first counted in and the response's usage
//    (last_token_usage), which Codex's OTLP export (conversation.id and the
//    response.completed counts) gives too: the same request sent both ways
//    is one event, and re-reading never counts twice.
// Reentrant.
#pragma once

#include <string>
#include <vector>

#include "agents/source.h"
#include "claude/claude.h"

namespace burnrate::agents {

// $CODEX_HOME, else ~/.codex, when it holds sessions/ or archived_sessions/.
Result<std::vector<std::string>> DefaultCodexRoots(const EnvFn& env);

// rollout-*.jsonl below each root's sessions/ and archived_sessions/ (or
// below the root itself when it has neither), sorted by path.
Result<std::vector<claude::TranscriptFile>> FindCodexFiles(const std::vector<std::string>& roots);

// Counts as above. ScanStats: usage_lines = token_count records with usage,
// duplicates = repeated totals, sidechain_replays = records copied from a
// parent thread.
Result<claude::ScanResult> ScanCodex(std::vector<claude::TranscriptFile> files,
                                     const claude::ScanOptions& opts);

}  // namespace burnrate::agents
