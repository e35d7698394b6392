// `burnrate top`: a ranked table in the terminal, from a server or a file.
#include <simdjson.h>

#include <cstdio>
#include <iostream>

#include "app/app.h"
#include "cli/cli.h"
#include "common/strings.h"
#include "engine/engine.h"
#include "http/client.h"

namespace burnrate::cli {

struct Row {
  int64_t rank = 0, prev = 0, total = 0, requests = 0;
  double cost = 0;
  std::string id, team;
};

static void PrintTable(const std::string& title, const std::vector<Row>& rows) {
  std::printf("%s\n%5s %3s  %-32s %-14s %12s %10s %9s\n", title.c_str(), "rank", "", "id", "team",
              "tokens", "cost", "requests");
  for (const auto& r : rows) {
    const char* arrow = r.prev == 0 ? "new" : r.prev > r.rank ? "^" : r.prev < r.rank ? "v" : "=";
    std::printf("%5lld %3s  %-32.32s %-14.14s %12s %10s %9lld\n", (long long)r.rank, arrow,
                r.id.c_str(), r.team.c_str(), Humanize(double(r.total)).c_str(),
                ("$" + Humanize(r.cost)).c_str(), (long long)r.requests);
  }
}

void AddTopCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("top", "Show a leaderboard in the terminal");
  struct Args {
    std::string server, key, db, entity = "user", window = "7d", metric = "tokens";
    int limit = 20;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--server", a->server, "Server URL");
  cmd->add_option("--key", a->key, "API key (viewer or admin)");
  cmd->add_option("--db", a->db, "Read a database file instead of a server");
  cmd->add_option("--entity", a->entity, "user, team, org, project, model")->default_val("user");
  cmd->add_option("--window", a->window, "24h, 7d, 30d, day, week, month, all")->default_val("7d");
  cmd->add_option("--metric", a->metric, "tokens, cost, requests, value, efficiency, honest")
      ->default_val("tokens");
  cmd->add_option("--limit", a->limit, "Rows")->default_val(20);
  cmd->callback([a] {
    std::string title = "top " + a->entity + "s by " + a->metric + " over " + a->window;
    std::vector<Row> rows;
    if (!a->db.empty()) {
      app::Config cfg;
      cfg.db_path = a->db;
      auto opened = app::App::Open(cfg, SystemClock::Get());
      Status st = opened.ok() ? (*opened)->StartOffline() : opened.status();
      if (!st.ok())
        return (void)(std::cerr << "burnrate top: " << st.message() << "\n", ExitCode() = 1);
      engine::BoardQuery q;
      auto e = engine::ParseEntity(a->entity);
      auto w = engine::ParseWindow(a->window);
      auto m = engine::ParseMetric(a->metric);
      for (const Status& s : {e.status(), w.status(), m.status()}) {
        if (!s.ok())
          return (void)(std::cerr << "burnrate top: " << s.message() << "\n", ExitCode() = 2);
      }
      q.entity = *e, q.window = *w, q.metric = *m, q.limit = size_t(a->limit);
      auto b = (*opened)->engine().Leaderboard(q);
      for (const auto& be : b->entries) {
        rows.push_back({be.rank, be.prev_rank, be.c.Total(), be.c.requests,
                        double(be.c.cost_nanos) / 1e9, be.id, be.team});
      }
      (*opened)->Stop();
    } else if (!a->server.empty()) {
      auto c = http::Client::Create(a->server);
      if (!c.ok())
        return (void)(std::cerr << "burnrate top: " << c.status().message() << "\n",
                      ExitCode() = 2);
      (*c)->set_bearer(a->key);
      auto res =
          (*c)->Send("GET", "/v1/leaderboard?entity=" + a->entity + "&window=" + a->window +
                                "&metric=" + a->metric + "&limit=" + std::to_string(a->limit));
      if (!res.ok())
        return (void)(std::cerr << "burnrate top: " << res.status().message() << "\n",
                      ExitCode() = 1);
      if (res->status != 200)
        return (void)(std::cerr << "burnrate top: " << res->body << "\n", ExitCode() = 1);
      simdjson::dom::parser p;
      simdjson::dom::element doc;
      if (p.parse(res->body).get(doc))
        return (void)(std::cerr << "burnrate top: bad answer\n", ExitCode() = 1);
      for (auto e : doc["entries"]) {
        Row r;
        r.rank = int64_t(e["rank"]);
        if (e["prev_rank"].is_int64()) r.prev = int64_t(e["prev_rank"]);
        r.id = std::string(std::string_view(e["id"]));
        std::string_view team;
        if (!e["team"].get(team)) r.team = std::string(team);
        r.total = int64_t(e["total_tokens"]);
        r.requests = int64_t(e["requests"]);
        r.cost = double(e["cost_usd"]);
        rows.push_back(r);
      }
    } else {
      std::cerr << "burnrate top: give --server URL or --db FILE\n";
      ExitCode() = 2;
      return;
    }
    PrintTable(title, rows);
  });
}

}  // namespace burnrate::cli
