// `burnrate detect --db FILE --from YYYY-MM-DD --to YYYY-MM-DD`: scores
// stored days offline, as the server's rescore does (DetectionEngine::
// Rescore over the database's events), stores the flags in the file's
// detect_flags table (so a server started on it shows them; reviews already
// made are kept) and prints one line per day and one per flag. With
// --config, the server's config file: its time zone, [detection] settings
// and price file, so offline scores equal the server's (docs/detection.md);
// without, the defaults.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>

#include "app/app.h"
#include "cli/cli.h"
#include "common/time_util.h"
#include "detect/detect.h"
#include "model/price_book.h"
#include "store/sqlite/sqlite_stores.h"
#include "store/store.h"

namespace burnrate::cli {
namespace {

Result<int64_t> Day(const std::string& s, const char* flag) {
  auto t = ParseRfc3339(s + "T00:00:00Z");
  if (!t.ok() || s.size() != 10)
    return Status::InvalidArgument(std::string(flag) + " must be a date YYYY-MM-DD");
  return FloorDiv(*t, kDayMs);
}

Status RunDetect(const std::string& db, const std::string& from_s, const std::string& to_s,
                 const std::string& config) {
  if (!std::filesystem::exists(db)) return Status::NotFound("no database file " + db);
  app::Config cfg;
  if (!config.empty()) {
    BR_ASSIGN_OR_RETURN(cfg, app::LoadConfig(config));
  }
  BR_ASSIGN_OR_RETURN(detect::DetectConfig dc, app::DetectionConfig(cfg));
  model::PriceBook prices;
  if (!cfg.prices_file.empty()) BR_RETURN_IF_ERROR(prices.Load(cfg.prices_file));
  BR_ASSIGN_OR_RETURN(int64_t from, Day(from_s, "--from"));
  BR_ASSIGN_OR_RETURN(int64_t to, Day(to_s, "--to"));
  if (to < from) return Status::InvalidArgument("--to must not be before --from");
  store::SqliteOptions opts;
  opts.read_only = true;
  BR_ASSIGN_OR_RETURN(auto events, store::OpenSqliteStore(db, opts));
  BR_ASSIGN_OR_RETURN(auto flags, store::OpenSqliteFlagStore(db));
  detect::DetectionEngine engine(dc, SystemClock::Get(), std::move(flags));
  engine.SetPrices(&prices);
  engine.SetEventScan(
      [&](TimeMs received_from, const std::function<Status(std::span<const model::Event>)>& fn) {
        return events->ScanEventBatches(received_from, fn);
      });
  BR_ASSIGN_OR_RETURN(auto days, engine.Rescore(from, to));
  for (const detect::ScoreDayStats& d : days)
    std::cout << fmt::format(
        "{}: {} users scored, {} flagged, {} retracted{}\n", FormatDate(d.day * kDayMs), d.users,
        d.flagged, d.retracted,
        d.store_errors ? fmt::format(", {} flags not stored", d.store_errors) : "");
  for (const detect::Flag& f : engine.flags().List(from, to)) {
    if (f.state == detect::ReviewState::kRetracted) continue;
    std::cout << fmt::format("  {} {} score {:.0f}{} {} ({})\n", f.date, f.user, f.score,
                             f.high_confidence ? " high-confidence" : "",
                             detect::ReviewStateName(f.state),
                             f.reasons.empty() ? "" : f.reasons.front().detector);
  }
  for (const detect::ScoreDayStats& d : days)
    if (d.store_errors) return Status::IOError("some flags could not be stored in " + db);
  return Status::OK();
}

}  // namespace

void AddDetectCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "detect", "Score stored days for farming offline and store the flags in the file");
  auto db = std::make_shared<std::string>();
  auto from = std::make_shared<std::string>();
  auto to = std::make_shared<std::string>();
  auto config = std::make_shared<std::string>();
  cmd->add_option("--db", *db, "SQLite database file")->required();
  cmd->add_option("--from", *from, "First day, YYYY-MM-DD")->required();
  cmd->add_option("--to", *to, "Last day, YYYY-MM-DD")->required();
  cmd->add_option("--config", *config,
                  "The server's TOML config: time zone, [detection] settings, price file");
  cmd->callback([=] {
    Status st = RunDetect(*db, *from, *to, *config);
    if (!st.ok()) {
      std::cerr << "burnrate detect: " << st.message() << "\n";
      ExitCode() = 1;
    }
  });
}

}  // namespace burnrate::cli
