// The claude layer's front door: Claude Code transcript logs.
//
//  - report_command.h: `burnrate report daily|weekly|monthly|session|blocks`
//    (RunReport, AddReportCommand), straight from the files.
//  - agent_command.h: `burnrate ingest --claude` and `burnrate agent`
//    (RunIngestClaude, RunAgent, AddIngestClaudeCommand, AddAgentCommand).
//  - transcript_scan.h / report.h: the reader and aggregation, for callers
//    that want the numbers without printing.
//  - claude_agent.h, usage_event.h: shipping usage events with stable ids.
//  - change_waiter.h: waiting for a directory tree to change (the agents
//    layer follows its logs with it too).
//
// The rules (de-duplication, sidechain replays, cost modes, skipped lines)
// are described in docs/claude-code.md.
#pragma once

#include "claude/agent_command.h"
#include "claude/change_waiter.h"
#include "claude/claude_agent.h"
#include "claude/report.h"
#include "claude/report_command.h"
#include "claude/transcript_scan.h"
#include "claude/usage_event.h"
