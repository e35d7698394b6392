// Reads OpenCode usage: the SQLite database
// ${XDG_DATA_HOME:-~/.local/share}/opencode/opencode.db (table `message`:
// id, session_id, time_created, time_updated, data JSON; `session`:
// id, directory, ...; schema of opencode-ai 1.18), opened read-only, and
// the JSON files of versions before the database
// (storage/message/<session>/<message>.json).
//
// Counted: assistant messages whose time.completed is set (a message's
// tokens grow step by step until then), with tokens {input, output,
// reasoning, cache{read, write}}. OpenCode already takes the cache out of
// input and the reasoning out of output, so burnrate input = input,
// output = output + reasoning, cache_read = cache.read, cache_write =
// cache.write. Model: modelID; cost: `cost` (USD) when above 0, else
// burnrate prices the tokens.
//
// No double counting: a message is keyed by its id over the database and
// the files (OpenCode copies old files into the database when it
// migrates); the key is the event id. Reentrant.
#pragma once

#include <string>
#include <vector>

#include "agents/source.h"
#include "claude/claude.h"

namespace burnrate::agents {

// ${XDG_DATA_HOME:-$HOME/.local/share}/opencode when it holds opencode.db
// or storage/message.
Result<std::vector<std::string>> DefaultOpenCodeRoots(const EnvFn& env);

// Each root is an OpenCode data directory, a database file, or a
// directory of message JSON files.
Result<claude::ScanResult> ScanOpenCode(const std::vector<std::string>& roots,
                                        const claude::ScanOptions& opts);

}  // namespace burnrate::agents
