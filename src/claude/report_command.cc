#include "claude/report_command.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>

#include "claude/report.h"
#include "claude/report_render.h"
#include "claude/transcript_scan.h"

namespace burnrate::claude {
namespace {

std::function<const char*(const char*)> EnvFn(const ReportOptions& o) {
  if (o.getenv_fn) return o.getenv_fn;
  return [](const char* k) { return static_cast<const char*>(std::getenv(k)); };
}

}  // namespace

std::string LocalZoneName(const std::function<const char*(const char*)>& getenv_fn) {
  if (const char* tz = getenv_fn("TZ"); tz && *tz) return tz[0] == ':' ? tz + 1 : tz;
  std::ifstream f("/etc/timezone");
  std::string name;
  if (f && std::getline(f, name) && !name.empty()) return name;
  char buf[512];
  ssize_t n = ::readlink("/etc/localtime", buf, sizeof buf - 1);
  if (n > 0) {
    std::string link(buf, n);
    auto pos = link.find("zoneinfo/");
    if (pos != std::string::npos) return link.substr(pos + 9);
  }
  return "UTC";
}

Result<ScanResult> ScanClaude(const ReportOptions& o) {
  std::vector<std::string> roots = o.dirs;
  if (roots.empty()) {
    BR_ASSIGN_OR_RETURN(roots, DefaultClaudeRoots(EnvFn(o)));
  }
  BR_ASSIGN_OR_RETURN(std::vector<TranscriptFile> files, FindTranscripts(roots));
  ScanOptions so;
  so.project = o.project;
  so.threads = o.threads;
  return ScanTranscripts(std::move(files), so);
}

int RunReport(const ReportOptions& o, std::ostream& out, std::ostream& err,
              const ReportScanner& scanner) {
  auto env = EnvFn(o);
  auto fail = [&](const Status& s) {
    err << "burnrate report: " << s.message() << '\n';
    return 1;
  };
  ReportSpec spec;
  auto kind = ParseReportKind(o.kind);
  if (!kind.ok()) return fail(kind.status());
  spec.kind = *kind;
  auto mode = ParseCostMode(o.cost_mode);
  if (!mode.ok()) return fail(mode.status());
  spec.cost_mode = *mode;
  auto tz = TimeZone::Load(o.tz.empty() ? LocalZoneName(env) : o.tz);
  if (!tz.ok()) {
    if (!o.tz.empty())
      return fail(Status::InvalidArgument("--tz: unknown time zone '" + o.tz + "'"));
    tz = TimeZone::Utc();
  }
  spec.tz = *tz;
  if (!o.since.empty()) {
    auto d = ParseDayArg(o.since, spec.tz);
    if (!d.ok()) return fail(Status::InvalidArgument("--since: " + d.status().message()));
    spec.since_day = *d;
  }
  if (!o.until.empty()) {
    auto d = ParseDayArg(o.until, spec.tz);
    if (!d.ok()) return fail(Status::InvalidArgument("--until: " + d.status().message()));
    spec.until_day = *d;
  }
  spec.week_starts_sunday = o.week_starts_sunday;
  spec.now = o.now >= 0 ? o.now : SystemClock::Get().NowMs();

  model::PriceTable prices = model::PriceTable::Builtin();
  if (!o.prices_file.empty()) {
    if (Status s = prices.LoadPriceFile(o.prices_file); !s.ok()) return fail(s);
  }
  if (!scanner.scan && o.source != "claude")
    return fail(Status::InvalidArgument("--source: unknown source '" + o.source + "'"));
  auto scan = scanner.scan ? scanner.scan(o) : ScanClaude(o);
  if (!scan.ok()) return fail(scan.status());
  Report rep = BuildReport(*scan, prices, spec);
  RenderPricingWarnings(rep, err);
  RenderOptions ro;
  ro.breakdown = o.breakdown;
  ro.verbose = o.verbose;
  ro.tz = spec.tz;
  if (scanner.title) ro.title = scanner.title(o);
  if (o.json) {
    out << RenderJson(rep, *scan, ro);
  } else {
    RenderTable(rep, *scan, ro, out);
  }
  return 0;
}

void AddReportCommand(CLI::App& app, ReportScanner scanner) {
  auto opts = std::make_shared<ReportOptions>();
  CLI::App* cmd = app.add_subcommand(
      "report", "Usage reports from coding agents' local logs (Claude Code by default), no server");
  cmd->add_option("kind", opts->kind, "daily, weekly, monthly, session or blocks")
      ->check(CLI::IsMember({"daily", "weekly", "monthly", "session", "blocks"}));
  cmd->add_option("--dir", opts->dirs,
                  "Where the logs are; repeatable. Claude: config dir (holding projects/) or "
                  "transcript dir (default: $CLAUDE_CONFIG_DIR, ~/.config/claude, ~/.claude); "
                  "other sources: see docs/agents.md");
  cmd->add_flag("--json", opts->json, "JSON output (ccusage-compatible field names)");
  cmd->add_flag("--breakdown,-b", opts->breakdown, "Per-model rows");
  cmd->add_flag("--verbose,-v", opts->verbose, "List skipped lines as file:line");
  cmd->add_option("--since,-s", opts->since, "First local day, YYYYMMDD or YYYY-MM-DD");
  cmd->add_option("--until,-u", opts->until, "Last local day, YYYYMMDD or YYYY-MM-DD");
  cmd->add_option("--tz,--timezone", opts->tz, "IANA time zone for days (default: local)");
  cmd->add_option("--project,-p", opts->project, "Only this project (directory under projects/)");
  cmd->add_option("--cost-mode,--mode", opts->cost_mode, "auto, calculate or display")
      ->check(CLI::IsMember({"auto", "calculate", "display"}));
  cmd->add_option("--prices", opts->prices_file, "Price file, LiteLLM or models.dev format");
  cmd->add_flag("--week-starts-sunday", opts->week_starts_sunday, "Weeks start on Sunday");
  cmd->add_option("--threads", opts->threads, "Reader threads (default: 1 or 2)");
  if (scanner.scan) {
    cmd->add_option("--source", opts->source,
                    "Whose logs: claude (default), codex, gemini, opencode, or all (summed)")
        ->check(CLI::IsMember({"claude", "codex", "gemini", "opencode", "all"}));
  }
  cmd->callback([opts, scanner] {
    int rc = RunReport(*opts, std::cout, std::cerr, scanner);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace burnrate::claude
