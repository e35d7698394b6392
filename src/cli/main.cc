// burnrate: meter, rank and govern AI-agent token use. See README.md.
#include <CLI/CLI.hpp>

#include "agents/agents.h"
#include "claude/claude.h"
#include "cli/cli.h"
#include "cli/eval_command.h"

int main(int argc, char** argv) {
  CLI::App app{"burnrate: usage accounting, leaderboards and governance for AI coding agents"};
  app.require_subcommand(1);
  burnrate::cli::AddServeCommand(app);
  burnrate::cli::AddKeysCommand(app);
  burnrate::cli::AddIngestCommand(app);
  burnrate::cli::AddTopCommand(app);
  burnrate::cli::AddSimulateCommand(app);
  burnrate::cli::AddEventsCommand(app);
  burnrate::cli::AddDetectCommand(app);
  // Extends `ingest` with --source NAME (agents) and --claude [DIR].
  burnrate::claude::AddIngestClaudeCommand(app, burnrate::agents::AddIngestSourceOptions(app));
  burnrate::agents::AddAgentCommand(app);  // every agent's logs on this machine
  burnrate::claude::AddReportCommand(app, burnrate::agents::ReportScanner());
  burnrate::cli::AddEvalDetectionCommand(app);
  burnrate::cli::InstallEvalIngestPath();
  CLI11_PARSE(app, argc, argv);
  return burnrate::cli::ExitCode();
}
