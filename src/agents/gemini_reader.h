// Reads Gemini CLI chat recordings: ~/.gemini/tmp/<project hash>/chats/
// session-*.jsonl (sub-agents: chats/<parent session>/<id>.jsonl) and the
// older whole-document session-*.json.
//
// A .jsonl file is a metadata line ({"sessionId","projectHash",...}) then
// records: a message ({"id","type","timestamp",...}), a metadata update
// ({"$set":{...}}, whose "messages" array replaces the list), or a rewind
// ({"$rewindTo":id}). A message is appended again whenever it changes (its
// tokens arrive, tool calls are added), so the last record of an id wins.
// Counted: messages of type "gemini" with a `tokens` object
// {input, output, cached, thoughts, tool, total}, where input includes the
// cached tokens: burnrate input = input - cached + tool, cache_read =
// cached, output = output + thoughts (so the sum is `total`).
//
// No double counting: a message is keyed by (sessionId, message id) over
// all files, so a legacy .json converted to .jsonl on resume (both files
// stay) counts once; the key is the event id. Rewound messages still count:
// their tokens were spent. Reentrant.
#pragma once

#include <string>
#include <vector>

#include "agents/source.h"
#include "claude/claude.h"

namespace burnrate::agents {

// $GEMINI_CLI_HOME/.gemini or ~/.gemini, when it holds tmp/.
Result<std::vector<std::string>> DefaultGeminiRoots(const EnvFn& env);

// *.jsonl and *.json files below a `chats` directory under each root's
// tmp/ (or under the root itself), sorted by path.
Result<std::vector<claude::TranscriptFile>> FindGeminiFiles(const std::vector<std::string>& roots);

// ScanStats: usage_lines = message records with tokens, duplicates =
// records of a message already seen (updates and copies).
Result<claude::ScanResult> ScanGemini(std::vector<claude::TranscriptFile> files,
                                      const claude::ScanOptions& opts);

}  // namespace burnrate::agents
