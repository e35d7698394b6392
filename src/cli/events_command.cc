// `burnrate events --db FILE`: prints the raw events stored in a database
// file as NDJSON, in arrival order, one object per event with every stored
// field. For audits, exports and tests (the crash test checks exactly-once
// storage with it). The file is opened read-only, so it is safe beside a
// running server.
#include <filesystem>
#include <iostream>

#include "app/app.h"
#include "cli/cli.h"
#include "common/json_writer.h"
#include "model/prompt_features.h"
#include "store/store.h"

namespace burnrate::cli {
namespace {

// Field names follow docs/event-format.md, so the output can be ingested
// again (ts as epoch milliseconds; `prompt` as precomputed features with
// hex fingerprints); `received`, `cost_nanos` and `requests` are what the
// server added.
std::string EventJson(const model::Event& e) {
  JsonWriter w;
  w.BeginObject();
  model::WriteEventFields(w, e, /*stored=*/true);
  if (e.prompt.present) model::WritePromptFeatures(w, e.prompt);
  w.EndObject();
  return w.Take();
}

}  // namespace

void AddEventsCommand(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("events", "Print the raw events stored in a database file as NDJSON");
  auto db = std::make_shared<std::string>();
  auto from = std::make_shared<int64_t>(0);
  auto count = std::make_shared<bool>(false);
  cmd->add_option("--db", *db, "SQLite database file or postgresql:// URL")->required();
  cmd->add_option("--received-from", *from,
                  "Only events received at or after this time (epoch ms)");
  cmd->add_flag("--count", *count, "Print only the number of stored raw events");
  cmd->callback([=] {
    if (!app::IsPostgres(*db) && !std::filesystem::exists(*db)) {
      std::cerr << "burnrate events: no database file " << *db << "\n";
      ExitCode() = 1;
      return;
    }
    auto s = app::OpenStore(*db, /*read_only=*/true);
    Status st = s.ok() ? Status::OK() : s.status();
    if (st.ok() && *count && *from == 0) {
      auto n = (*s)->CountEvents();
      if (n.ok()) std::cout << *n << "\n";
      st = n.status();
    } else if (st.ok() && *count) {  // counted since --received-from
      int64_t n = 0;
      st = (*s)->ScanEventBatches(*from, [&](std::span<const model::Event> events) {
        n += int64_t(events.size());
        return Status::OK();
      });
      if (st.ok()) std::cout << n << "\n";
    } else if (st.ok()) {
      std::string out;
      st = (*s)->ScanEventBatches(*from, [&](std::span<const model::Event> events) {
        out.clear();
        for (const model::Event& e : events) out += EventJson(e) + "\n";
        std::cout << out;
        return std::cout ? Status::OK() : Status::IOError("cannot write to standard output");
      });
    }
    if (!st.ok()) {
      std::cerr << "burnrate events: " << st.message() << "\n";
      ExitCode() = 1;
    }
  });
}

}  // namespace burnrate::cli
