// `burnrate ingest FILE...`: send NDJSON files to a server, or write them
// into a database file directly. Rejected lines are reported as file:line.
#include <simdjson.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <future>
#include <iostream>
#include <sstream>

#include "app/app.h"
#include "cli/cli.h"
#include "cli/eval_command.h"
#include "common/json_writer.h"
#include "common/strings.h"
#include "http/client.h"
#include "ingest/ingest.h"
#include "sim/personas.h"
#include "sim/simulator.h"

namespace burnrate::cli {
namespace {

struct Totals {
  int64_t accepted = 0, duplicates = 0, rejected = 0;
};

// Sends one chunk; returns the parsed answer counts. line0 is the chunk's
// first line number in the file, for messages.
Status PostChunk(http::Client& c, const std::string& file, int64_t line0, const std::string& body,
                 Totals* t) {
  auto res = c.Send("POST", "/v1/events", body, {{"Content-Type", "application/x-ndjson"}});
  if (!res.ok()) return res.status();
  if (res->status != 200)
    return Status::IOError(file + ": server answered " + std::to_string(res->status) + ": " +
                           res->body);
  // The answer (docs/http-api.md): counts, the first rejects in detail,
  // and the total of rejects.
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(res->body).get(doc) != simdjson::SUCCESS || !doc.is_object())
    return Status::IOError(file + ": the server's answer is not JSON: " + res->body.substr(0, 200));
  auto num = [&](const char* key) -> int64_t {
    int64_t v = 0;
    return doc[key].get_int64().get(v) == simdjson::SUCCESS ? v : 0;
  };
  t->accepted += num("accepted");
  t->duplicates += num("duplicates");
  int64_t listed = 0;
  simdjson::dom::array rejects;
  if (doc["rejected"].get_array().get(rejects) == simdjson::SUCCESS) {
    for (simdjson::dom::element r : rejects) {
      int64_t line = 0;
      std::string_view error;
      if (r["line"].get_int64().get(line) != simdjson::SUCCESS) continue;
      if (r["error"].get_string().get(error) != simdjson::SUCCESS) error = "rejected";
      std::cerr << file << ":" << (line0 + line - 1) << ": " << error << "\n";
      ++listed;
    }
  }
  // The server lists the first rejects and counts them all.
  int64_t total = std::max(listed, num("rejected_total"));
  if (total > listed)
    std::cerr << file << ": ... and " << (total - listed) << " more rejected lines\n";
  t->rejected += total;
  return Status::OK();
}

void Progress(const std::string& file, size_t done, size_t total) {
  if (!isatty(2) || total == 0) return;
  int pct = int(100.0 * double(done) / double(total));
  std::cerr << "\r" << file << " [" << std::string(pct / 4, '#') << std::string(25 - pct / 4, ' ')
            << "] " << pct << "%" << std::flush;
  if (done == total) std::cerr << "\n";
}

}  // namespace

// long: the option table of `burnrate ingest` (one line per flag) and its
// callback, which dispatches to the named functions above.
void AddIngestCommand(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("ingest", "Ingest NDJSON event files into a server or a database file");
  struct Args {
    std::vector<std::string> files;
    std::string server, key, db;
    size_t chunk = 5000;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("files", a->files, "NDJSON files (docs/event-format.md)")->required();
  cmd->add_option("--server", a->server, "Server URL, e.g. http://127.0.0.1:8080");
  cmd->add_option("--key", a->key, "API key with role ingest or admin");
  cmd->add_option("--db", a->db, "Write into this database file instead of a server");
  cmd->add_option("--chunk", a->chunk, "Lines per request")->default_val(5000);
  cmd->callback([a] {
    if (a->server.empty() == a->db.empty()) {
      std::cerr << "burnrate ingest: give exactly one of --server URL or --db FILE\n";
      ExitCode() = 2;
      return;
    }
    std::unique_ptr<http::Client> client;
    std::unique_ptr<app::App> local;
    if (!a->server.empty()) {
      auto c = http::Client::Create(a->server);
      if (!c.ok())
        return (void)(std::cerr << "burnrate ingest: " << c.status().message() << "\n",
                      ExitCode() = 2);
      client = std::move(*c);
      client->set_bearer(a->key);
    } else {
      app::Config cfg;
      cfg.db_path = a->db;
      auto opened = app::App::Open(cfg, SystemClock::Get());
      Status st = opened.ok() ? (*opened)->StartOffline() : opened.status();
      if (!st.ok())
        return (void)(std::cerr << "burnrate ingest: " << st.message() << "\n", ExitCode() = 1);
      local = std::move(*opened);
    }
    Totals t;
    for (const auto& file : a->files) {
      std::ifstream in(file, std::ios::binary);
      if (!in) {
        std::cerr << "burnrate ingest: cannot open " << file << "\n";
        ExitCode() = 1;
        continue;
      }
      in.seekg(0, std::ios::end);
      size_t size = size_t(in.tellg()), done = 0;
      in.seekg(0);
      std::string line, body;
      bool file_ok = true;
      int64_t line_no = 0, chunk_start = 1;
      size_t n = 0;
      auto flush = [&]() -> bool {
        if (n == 0) return true;
        Status st;
        if (client) {
          st = PostChunk(*client, file, chunk_start, body, &t);
        } else {
          std::promise<Result<ingest::IngestResult>> p;
          local->ingestor().SubmitNdjson(
              body, [&](Result<ingest::IngestResult> r) { p.set_value(std::move(r)); });
          auto r = p.get_future().get();
          st = r.status();
          if (r.ok()) {
            t.accepted += r->accepted, t.duplicates += r->duplicates;
            for (const auto& rej : r->rejected) {
              std::cerr << file << ":" << (chunk_start + rej.line - 1) << ": " << rej.error << "\n";
            }
            int64_t more = r->rejected_total - int64_t(r->rejected.size());
            if (more > 0) std::cerr << file << ": ... and " << more << " more rejected lines\n";
            t.rejected += r->rejected_total;
          }
        }
        if (!st.ok()) {
          std::cerr << "burnrate ingest: " << file << ":" << chunk_start << ": " << st.message()
                    << "\n";
          ExitCode() = 1;
          return false;
        }
        body.clear();
        n = 0;
        chunk_start = line_no + 1;
        Progress(file, done, size);
        return true;
      };
      while (std::getline(in, line)) {
        ++line_no;
        done += line.size() + 1;
        body += line;
        body += '\n';
        if (++n >= a->chunk && !(file_ok = flush())) break;
      }
      if (file_ok) flush();
      Progress(file, size, size);
    }
    std::cout << "accepted " << t.accepted << ", duplicates " << t.duplicates << ", rejected "
              << t.rejected << "\n";
    if (local) local->Stop();
    if (t.rejected > 0 && ExitCode() == 0) ExitCode() = 3;
  });
}

namespace {

// Reports a simulate error on stderr and sets the exit code; returns false.
bool SimulateFailed(const std::string& why, int code) {
  std::cerr << "burnrate simulate: " << why << "\n";
  ExitCode() = code;
  return false;
}

// Where simulate's events go: an NDJSON file, or a server in requests of
// `chunk` lines. Errors go to stderr and set the exit code (2 when the file
// or server cannot be opened, 1 when a request or write fails); after the
// first failure the sink takes nothing more (ok() is false).
class SimSink {
 public:
  bool Open(const std::string& out_path, const std::string& server, const std::string& key,
            size_t chunk) {
    chunk_ = chunk, path_ = out_path;
    if (!out_path.empty()) {
      out_.open(out_path, std::ios::binary);
      if (!out_) return SimulateFailed(out_path + ": cannot write", 2);
      return true;
    }
    auto c = http::Client::Create(server);
    if (!c.ok()) return SimulateFailed(c.status().message(), 2);
    client_ = std::move(*c);
    client_->set_bearer(key);
    return true;
  }
  bool ok() const { return ok_; }
  void Add(std::string_view line) {
    if (!ok_) return;
    body_ += line;
    body_ += '\n';
    ++written_;
    if (++n_ >= chunk_) Flush();
  }
  void Flush() {
    if (n_ == 0 || !ok_) return;
    if (client_) {
      if (Status st = PostChunk(*client_, "simulate", 1, body_, &t_); !st.ok())
        ok_ = SimulateFailed(st.message(), 1);
    } else if (!out_.write(body_.data(), std::streamsize(body_.size())).flush()) {
      ok_ = SimulateFailed(path_ + ": write failed", 1);
    }
    body_.clear();
    n_ = 0;
  }
  void Report() const {
    if (!ok_) return;
    if (client_) {
      std::cout << "accepted " << t_.accepted << ", duplicates " << t_.duplicates << std::endl;
    } else {
      std::cout << "wrote " << written_ << " events to " << path_ << "\n";
    }
  }

 private:
  std::ofstream out_;
  std::string path_, body_;
  std::unique_ptr<http::Client> client_;
  Totals t_;
  size_t n_ = 0, chunk_ = 5000;
  int64_t written_ = 0;
  bool ok_ = true;
};

// simulate --personas: the labelled organisation of eval-detection
// (sim/personas.h) as NDJSON with prompt text, over the last `days` whole
// UTC days, and its ground truth as NDJSON (--labels).
Status WritePersonaLabels(const sim::PersonaSim& sim, const std::string& path) {
  std::ofstream out(path, std::ios::binary);
  if (!out) return Status::InvalidArgument(path + ": cannot write");
  auto exempt = sim.ExemptUsers();
  for (const auto& u : sim.users()) {
    JsonWriter w;
    w.BeginObject().Key("user").String(u.name).Key("team").String(u.team);
    w.Key("persona")
        .String(sim::PersonaName(u.persona))
        .Key("label")
        .String(sim::IsFarming(u.persona) ? "farm" : "legit");
    w.Key("exempt").Bool(std::find(exempt.begin(), exempt.end(), u.name) != exempt.end());
    w.EndObject();
    out << w.Take() << '\n';
  }
  return out ? Status::OK() : Status::IOError(path + ": write failed");
}

void RunPersonas(sim::PersonaOptions po, const std::string& out_path, const std::string& server,
                 const std::string& key, const std::string& labels,
                 const std::string& legit_prompts, size_t chunk) {
  if (!legit_prompts.empty()) {
    auto lines = LoadPromptLines(legit_prompts);
    if (!lines.ok()) return (void)SimulateFailed(lines.status().message(), 2);
    po.legit_prompts = std::make_shared<const std::vector<std::string>>(std::move(*lines));
  }
  // The last `days` UTC days before today, so a running server scores the
  // last one (yesterday) at once. Personas live in time zones from UTC-8 to
  // UTC+9: what a western user's last local day has after now is left out.
  TimeMs now = SystemClock::Get().NowMs();
  po.start = now / kDayMs * kDayMs - po.days * kDayMs;
  sim::PersonaSim sim(po);
  if (!labels.empty()) {
    if (Status st = WritePersonaLabels(sim, labels); !st.ok())
      return (void)SimulateFailed(st.message(), 2);
  }
  SimSink sink;
  if (!sink.Open(out_path, server, key, chunk)) return;
  std::vector<model::Event> events;
  std::vector<std::string> texts;
  for (int d = 0; d < po.days && sink.ok(); ++d) {
    events.clear(), texts.clear();
    sim.GenerateDay(d, &events, &texts);
    for (size_t i = 0; i < events.size(); ++i)
      if (events[i].ts <= now) sink.Add(sim::Simulator::ToNdjson(events[i], texts[i]));
  }
  sink.Flush();
  sink.Report();
  auto exempt = sim.ExemptUsers();
  if (!exempt.empty())
    std::cout << exempt.size()
              << " users are declared batch jobs: list them in [detection] exempt (see --labels)\n";
}

}  // namespace

void AddSimulateCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("simulate", "Generate a realistic organisation's usage");
  struct Args {
    sim::SimOptions opts;
    std::string out, server, key;
    bool live = false;
    size_t chunk = 5000;
    bool personas = false;
    sim::PersonaOptions persona;
    std::string labels, legit_prompts;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--users", a->opts.users, "Users")->default_val(1000);
  cmd->add_option("--days", a->opts.days, "Days of history ending now")->default_val(7);
  cmd->add_option("--seed", a->opts.seed, "Random seed")->default_val(1);
  cmd->add_option("--intensity", a->opts.intensity, "Scales requests per active hour")
      ->default_val(1.0);
  cmd->add_option("--out", a->out, "Write NDJSON here");
  cmd->add_option("--server", a->server, "Post to this server");
  cmd->add_option("--key", a->key, "API key (ingest or admin)");
  cmd->add_flag("--live", a->live, "After the history, keep sending events as they happen");
  cmd->add_flag("--personas", a->personas,
                "Labelled personas instead: legitimate and farming users (as eval-detection), with "
                "prompt text");
  cmd->add_option("--farm-share", a->persona.farm_share, "--personas: share of users that farm")
      ->default_val(0.06)
      ->check(CLI::Range(0.0, 0.5));
  cmd->add_option("--bot-farm-size", a->persona.bot_farm_size, "--personas: accounts per bot farm")
      ->default_val(20)
      ->check(CLI::Range(2, 10000));
  cmd->add_option("--labels", a->labels,
                  "--personas: write each user's persona and label (farm/legit) here, NDJSON");
  cmd->add_option("--legit-prompts", a->legit_prompts,
                  "--personas: legitimate users' prompts from this file (one per line, \\n for a "
                  "line break)")
      ->check(CLI::ExistingFile);
  cmd->callback([a] {
    if (a->out.empty() == a->server.empty()) {
      std::cerr << "burnrate simulate: give exactly one of --out FILE or --server URL\n";
      ExitCode() = 2;
      return;
    }
    if (!a->personas && (!a->labels.empty() || !a->legit_prompts.empty())) {
      std::cerr << "burnrate simulate: --labels and --legit-prompts need --personas\n";
      ExitCode() = 2;
      return;
    }
    if (a->personas && a->live) {
      std::cerr << "burnrate simulate: --personas generates whole past days; it has no --live\n";
      ExitCode() = 2;
      return;
    }
    a->opts.end = SystemClock::Get().NowMs();
    if (a->personas) {
      a->persona.users = a->opts.users, a->persona.days = a->opts.days,
      a->persona.seed = a->opts.seed;
      return RunPersonas(a->persona, a->out, a->server, a->key, a->labels, a->legit_prompts,
                         a->chunk);
    }
    sim::Simulator sim(a->opts);
    SimSink sink;
    if (!sink.Open(a->out, a->server, a->key, a->chunk)) return;
    auto emit = [&](model::Event&& e) { sink.Add(sim::Simulator::ToNdjson(e)); };
    sim.GenerateAll(emit);
    sink.Flush();
    sink.Report();
    TimeMs last = a->opts.end;
    while (a->live && !a->server.empty() && sink.ok()) {  // --live streams to a server
      sleep(1);
      TimeMs now = SystemClock::Get().NowMs();
      sim.Generate(last, now, emit);
      last = now;
      sink.Flush();
    }
  });
}

}  // namespace burnrate::cli
