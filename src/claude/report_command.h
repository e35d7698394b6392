// `burnrate report daily|weekly|monthly|session|blocks`: reports straight
// from Claude Code transcript files, no server needed.
//
// RunReport does the whole job (find files, scan, price, aggregate, print)
// and returns a process exit code: 0 ok, 1 bad arguments or no data
// directory (message on `err`). AddReportCommand registers the CLI11
// subcommand; its callback throws CLI::RuntimeError(code) on failure so that
// CLI11_PARSE in main returns the code.
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "claude/transcript_scan.h"
#include "common/clock.h"

namespace CLI {
class App;
}

namespace burnrate::claude {

struct ReportOptions {
  std::string kind = "daily";     // daily, weekly, monthly, session, blocks
  std::vector<std::string> dirs;  // empty: CLAUDE_CONFIG_DIR or ~/.claude, ~/.config/claude
  bool json = false;
  bool breakdown = false;
  bool verbose = false;
  std::string since, until;  // YYYYMMDD or YYYY-MM-DD, inclusive, local days
  std::string tz;            // IANA name; empty: the local zone
  std::string project;       // only this project (directory name under projects/)
  std::string cost_mode = "auto";
  std::string prices_file;  // LiteLLM-format JSON overlaid on the built-in prices
  bool week_starts_sunday = false;
  int threads = 0;                                    // 0: automatic (1 or 2)
  TimeMs now = -1;                                    // -1: the system clock (active block)
  std::function<const char*(const char*)> getenv_fn;  // empty: ::getenv
  std::string source = "claude";  // --source: which agent's logs (see ReportScanner)
};

// Reads the entries of a report for opts.source, and names the source for
// the table's title. Set by the agents layer (agents/source_command.h),
// which knows the other agents' logs; without one only "claude" is known.
struct ReportScanner {
  std::function<Result<ScanResult>(const ReportOptions&)> scan;
  std::function<std::string(const ReportOptions&)> title;
};

int RunReport(const ReportOptions& opts, std::ostream& out, std::ostream& err,
              const ReportScanner& scanner = {});

void AddReportCommand(CLI::App& app, ReportScanner scanner = {});

// The local IANA zone name: $TZ, /etc/timezone, the /etc/localtime link, else "UTC".
std::string LocalZoneName(const std::function<const char*(const char*)>& getenv_fn);

}  // namespace burnrate::claude
