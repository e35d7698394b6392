// `burnrate ingest --claude [DIR] --server URL --key KEY [--user EMAIL]`
// (one-shot import) and `burnrate agent --server URL --key KEY
// [--checkpoint FILE]` (follow mode until SIGINT/SIGTERM). See
// claude_agent.h for the shipping rules.
//
// Run* return a process exit code (0 ok, 1 error, 2 bad arguments) and
// print to the given streams. Add* register the CLI11 subcommands; when the
// app already has an `ingest` subcommand, AddIngestClaudeCommand adds
// `--claude [DIR]` and `--user` to it (and makes its positional `files`
// optional) instead of registering a second one. Callbacks throw
// CLI::RuntimeError(code) / CLI::Success so that CLI11_PARSE returns it.
#pragma once

#include <atomic>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace burnrate::claude {

struct AgentCommandOptions {
  std::vector<std::string> dirs;  // empty: CLAUDE_CONFIG_DIR or the default dirs
  std::string server, key, user;  // user empty: $USER
  std::string client;             // machine id for the events; empty: not sent
  std::string checkpoint;         // agent: empty = ~/.burnrate/claude-agent.checkpoint
  int poll_ms = 1000;
  size_t batch = 2000;
  int max_retries = 3;                                // ingest; the agent retries until stopped
  std::function<const char*(const char*)> getenv_fn;  // empty: ::getenv
};

int RunIngestClaude(const AgentCommandOptions& o, std::ostream& out, std::ostream& err);
int RunAgent(const AgentCommandOptions& o, const std::atomic<bool>& stop, std::ostream& out,
             std::ostream& err);

// `other_sources`, when set, runs first once `ingest` is parsed (the agents
// layer's `--source NAME`; it throws CLI::Success when it did the import).
// A command has one parse-complete callback, hence this hook.
void AddIngestClaudeCommand(CLI::App& app, std::function<void()> other_sources = {});
void AddAgentCommand(CLI::App& app);

}  // namespace burnrate::claude
