// The CLI layer's front door: subcommands of the `burnrate` binary. Each
// Add*Command registers one CLI11 subcommand; only this layer and main print
// or exit.
#pragma once

#include <CLI/CLI.hpp>

namespace burnrate::cli {

void AddServeCommand(CLI::App& app);
void AddKeysCommand(CLI::App& app);
void AddIngestCommand(CLI::App& app);
void AddTopCommand(CLI::App& app);
void AddSimulateCommand(CLI::App& app);
void AddEventsCommand(CLI::App& app);  // events_command.cc
void AddDetectCommand(CLI::App& app);  // detect_command.cc
// Makes eval-detection use the real ingest path (eval_ingest.cc).
void InstallEvalIngestPath();

// The exit code a subcommand's callback sets (CLI11 callbacks return void).
int& ExitCode();

}  // namespace burnrate::cli
