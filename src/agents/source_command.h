// The CLI of the agents layer:
//  - `burnrate report ... --source claude|codex|gemini|opencode|all`
//    (ReportScanner() plugs the readers into claude::AddReportCommand);
//  - `burnrate ingest --source NAME [--dir DIR] --server URL --key KEY`
//    (one-shot import; --source claude is `ingest --claude`);
//  - `burnrate agent --server URL --key KEY [--source NAME]...`: follows
//    every source found on the machine (Claude Code with claude::ClaudeAgent,
//    the others with SourceFollower), picking up sources that appear later,
//    until SIGINT/SIGTERM.
// Every event carries `client` = the machine id (agent_event.h), so one
// person's machines are told apart and, their ids being content-derived,
// never counted twice.
//
// Run* return a process exit code (0 ok, 1 error, 2 bad arguments) and
// print to the given streams. Callbacks throw CLI::RuntimeError(code).
#pragma once

#include <atomic>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "agents/source.h"

namespace CLI {
class App;
}

namespace burnrate::agents {

claude::ReportScanner ReportScanner();

struct SourceCommandOptions {
  std::vector<std::string> sources;  // agent: empty = every source; ingest: exactly one
  std::vector<std::string> dirs;     // the logs' location for a single source
  std::string server, key, user;     // user empty: $USER
  std::string machine_id;            // empty: MachineId("")
  std::string state_dir;             // agent: checkpoints; empty = ~/.burnrate
  std::string claude_checkpoint;     // agent: empty = <state_dir>/claude-agent.checkpoint
  int poll_ms = 1000;
  size_t batch = 2000;
  int max_retries = 3;  // ingest; the agent retries until stopped
  EnvFn getenv_fn;      // empty: ::getenv
};

int RunIngestSource(const SourceCommandOptions& o, std::ostream& out, std::ostream& err);
int RunAgentAll(const SourceCommandOptions& o, const std::atomic<bool>& stop, std::ostream& out,
                std::ostream& err);

// Adds --source, --dir and --machine-id to the existing `ingest` command and
// returns what runs the import once it is parsed: pass it to
// claude::AddIngestClaudeCommand (the command's one parse-complete callback).
std::function<void()> AddIngestSourceOptions(CLI::App& app);
void AddAgentCommand(CLI::App& app);

}  // namespace burnrate::agents
