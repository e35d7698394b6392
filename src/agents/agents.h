// The agents layer's front door: other coding agents' local logs, beside
// Claude Code's (the claude layer).
//
//  - source.h: the sources, where their logs are, ScanSource (any source
//    into a claude::ScanResult, for reports and imports).
//  - codex_reader.h, gemini_reader.h, opencode_reader.h: the readers and
//    their counting rules.
//  - agent_event.h: events with stable ids and the machine id.
//  - source_follower.h, shipped_log.h: shipping a source to a server.
//  - source_command.h: `report --source`, `ingest --source`, `agent`.
//
// Where each source is read from, how it is counted, and the traps are in
// docs/agents.md.
#pragma once

#include "agents/agent_event.h"
#include "agents/codex_reader.h"
#include "agents/gemini_reader.h"
#include "agents/opencode_reader.h"
#include "agents/source.h"
#include "agents/source_command.h"
#include "agents/source_follower.h"
