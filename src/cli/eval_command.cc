// The evaluation loop: day d's events are generated and ingested, then UTC
// day d-1 is scored (by then every persona's spill-over from neighbouring
// local days has arrived). A user is predicted "farming" when flagged on at
// least min_flag_days days; precision and recall are over users, and also
// reported over user-days.
#include "cli/eval_command.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include "common/json_writer.h"
#include "sim/simulator.h"

namespace burnrate::cli {
namespace {

double Div(double a, double b) { return b > 0 ? a / b : 0; }

}  // namespace

OrgUnderTest PersonaOrg(const sim::PersonaOptions& o) {
  auto sim = std::make_shared<sim::PersonaSim>(o);
  OrgUnderTest org;
  org.generator = "personas";
  std::vector<std::string> exempt = sim->ExemptUsers();
  for (const sim::PersonaUser& u : sim->users())
    org.users.push_back({u.name, u.team, sim::PersonaName(u.persona), sim::IsFarming(u.persona),
                         std::find(exempt.begin(), exempt.end(), u.name) != exempt.end()});
  for (int p = 0; p < sim::kPersonaCount; ++p)
    org.persona_order.push_back(sim::PersonaName(static_cast<sim::Persona>(p)));
  org.ordinary = sim::PersonaName(sim::Persona::kNormal);
  org.days = o.days, org.start = o.start;
  org.generate = [sim](int d, std::vector<model::Event>* out) { sim->GenerateDay(d, out); };
  return org;
}

Result<OrgUnderTest> CorpusOrgUnderTest(const sim::PersonaOptions& o,
                                        const std::string& corpus_dir) {
  BR_ASSIGN_OR_RETURN(sim::TextCorpus corpus, sim::LoadTextCorpus(corpus_dir));
  sim::CorpusOrgOptions co;
  co.users = o.users, co.days = o.days, co.seed = o.seed, co.start = o.start,
  co.farm_share = o.farm_share;
  auto gen = std::make_shared<sim::CorpusOrg>(co, std::move(corpus));
  OrgUnderTest org;
  org.generator = "corpus";
  org.users = gen->users();
  for (const auto& u : org.users)
    if (std::find(org.persona_order.begin(), org.persona_order.end(), u.persona) ==
        org.persona_order.end())
      org.persona_order.push_back(u.persona);
  std::stable_partition(org.persona_order.begin(), org.persona_order.end(),
                        [&](const std::string& p) {
                          for (const auto& u : org.users)
                            if (u.persona == p) return !u.farming;
                          return true;
                        });
  org.ordinary = "engineer";
  org.days = o.days, org.start = o.start;
  org.generate = [gen](int d, std::vector<model::Event>* out) { gen->GenerateDay(d, out); };
  return org;
}

Result<EvalReport> RunEvaluation(const EvalOptions& options, detect::DetectionEngine& engine,
                                 IngestFn ingest) {
  if (options.generator == "corpus") {
    BR_ASSIGN_OR_RETURN(OrgUnderTest org, CorpusOrgUnderTest(options.sim, options.corpus_dir));
    return RunEvaluationOn(org, options.min_flag_days, engine, std::move(ingest));
  }
  return RunEvaluationOn(PersonaOrg(options.sim), options.min_flag_days, engine, std::move(ingest));
}

Result<EvalReport> RunEvaluationOn(const OrgUnderTest& org, int min_flag_days,
                                   detect::DetectionEngine& engine, IngestFn ingest) {
  auto t0 = std::chrono::steady_clock::now();
  if (!ingest) {
    ingest = [&engine](std::vector<model::Event> evs) {
      for (const auto& e : evs) engine.Observe(e);
      return Status::OK();
    };
  }
  EvalReport rep;
  rep.generator = org.generator;
  std::unordered_map<std::string, int> flagged_days;
  std::unordered_set<std::string> high_confidence;
  std::unordered_map<std::string, std::map<std::string, int>> reasons_by_user;
  int64_t first_day = FloorDiv(org.start, kDayMs);
  for (int d = 0; d <= org.days; ++d) {
    std::vector<model::Event> evs;
    if (d < org.days) org.generate(d, &evs);
    rep.events += static_cast<int64_t>(evs.size());
    BR_RETURN_IF_ERROR(ingest(std::move(evs)));
    if (d == 0) continue;
    rep.feature_bytes = std::max(rep.feature_bytes, engine.features().ApproxBytes());
    for (const detect::Flag& f : engine.ScoreDay(first_day + d - 1)) {
      ++flagged_days[f.user];
      if (f.high_confidence) high_confidence.insert(f.user);
      for (const detect::Reason& r : f.reasons) ++reasons_by_user[f.user][r.detector];
    }
    rep.max_score_seconds = std::max(rep.max_score_seconds, engine.last_stats().seconds);
    ++rep.scored_days;
  }
  // Per persona and overall.
  std::map<std::string, PersonaResult> per;
  int64_t tp = 0, fp = 0, fn = 0, legit = 0, heavy = 0, fp_heavy = 0, dtp = 0, dfp = 0, dfarm = 0;
  for (const sim::LabelledUser& u : org.users) {
    PersonaResult& r = per[u.persona];
    r.persona = u.persona, r.farming = u.farming;
    ++r.users;
    int fd = flagged_days.count(u.name) ? flagged_days[u.name] : 0;
    bool pred = fd >= min_flag_days;
    r.flagged_users += pred;
    r.flagged_days += fd;
    r.user_days += org.days;
    for (const auto& [det, n] : reasons_by_user[u.name]) r.detectors[det] += n;
    if (r.farming) {
      (pred ? tp : fn)++;
      dtp += fd, dfarm += org.days;
    } else {
      ++legit;
      fp += pred, dfp += fd;
      rep.legit_high_confidence_users += high_confidence.count(u.name) > 0;
      if (u.persona != org.ordinary) ++heavy, fp_heavy += pred;
    }
  }
  rep.precision = Div(double(tp), double(tp + fp));
  rep.recall = Div(double(tp), double(tp + fn));
  rep.fpr_legit = Div(double(fp), double(legit));
  rep.fpr_heavy_legit = Div(double(fp_heavy), double(heavy));
  rep.day_precision = Div(double(dtp), double(dtp + dfp));
  rep.day_recall = Div(double(dtp), double(dfarm));
  for (const std::string& p : org.persona_order)
    if (per.count(p)) rep.personas.push_back(std::move(per[p]));
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return rep;
}

Result<ForeignOrgResult> RunForeignOrg(int users, int days, uint64_t seed, int min_flag_days) {
  sim::SimOptions so;
  so.users = users, so.days = days, so.seed = seed;
  so.end = 1772409600000 + TimeMs(days) * kDayMs;  // whole UTC days
  sim::Simulator simulator(so);
  detect::DetectConfig cfg;
  FakeClock clock(so.end);
  detect::DetectionEngine engine(cfg, clock);
  ForeignOrgResult r;
  r.users = users;
  std::unordered_map<std::string, int> flagged;
  std::unordered_set<std::string> active;
  TimeMs from = so.end - TimeMs(days) * kDayMs;
  for (int d = 0; d < days; ++d) {
    simulator.Generate(from + d * kDayMs, from + (d + 1) * kDayMs, [&](model::Event&& e) {
      ++r.events;
      active.insert(e.user);
      engine.Observe(e);
    });
    for (const detect::Flag& f : engine.ScoreDay(FloorDiv(from, kDayMs) + d))
      ++flagged[f.user], ++r.flagged_days;
  }
  r.active_users = static_cast<int>(active.size());
  for (const auto& [u, n] : flagged) r.flagged_users += n >= min_flag_days;
  r.fpr = Div(r.flagged_users, r.active_users);
  return r;
}

std::string FormatReport(const EvalReport& r) {
  std::string s = fmt::format("generator: {}\n{:<18} {:>7} {:>7} {:>8} {:>9}  {}\n", r.generator,
                              "persona", "label", "users", "flagged", "rate",
                              "flagged days per detector (a day may count for several)");
  for (const auto& p : r.personas) {
    std::string dets;
    for (const auto& [d, n] : p.detectors) dets += fmt::format("{}={} ", d, n);
    s += fmt::format("{:<18} {:>7} {:>7} {:>8} {:>8.1f}%  {}\n", p.persona,
                     p.farming ? "farm" : "legit", p.users, p.flagged_users,
                     100.0 * Div(p.flagged_users, p.users), dets);
  }
  s += fmt::format(
      "\nusers:     precision {:.3f}  recall {:.3f}  FPR legit {:.4f}  FPR legit non-ordinary "
      "{:.4f}  "
      "legit at high confidence {}\n"
      "user-days: precision {:.3f}  recall {:.3f}\n"
      "{} events, {} days scored, {:.1f} s total, slowest ScoreDay {:.3f} s, feature memory {:.1f} "
      "MB\n"
      "targets (precision>=0.95, recall>=0.90, FPR legit and non-ordinary<=0.005, none at high "
      "confidence): {}\n",
      r.precision, r.recall, r.fpr_legit, r.fpr_heavy_legit, r.legit_high_confidence_users,
      r.day_precision, r.day_recall, r.events, r.scored_days, r.seconds, r.max_score_seconds,
      double(r.feature_bytes) / 1e6, r.MeetsTargets() ? "MET" : "MISSED");
  if (r.foreign.users > 0)
    s += fmt::format(
        "foreign org (foundation simulator, all legitimate): {} active users, {} events, "
        "{} flagged users, {} flagged user-days, FPR {:.4f}\n",
        r.foreign.active_users, r.foreign.events, r.foreign.flagged_users, r.foreign.flagged_days,
        r.foreign.fpr);
  return s;
}

std::string ReportJson(const EvalReport& r) {
  JsonWriter w;
  w.BeginObject();
  w.Key("generator").String(r.generator);
  w.Key("precision").Double(r.precision).Key("recall").Double(r.recall);
  w.Key("legit_high_confidence_users").Int(r.legit_high_confidence_users);
  w.Key("fpr_legit").Double(r.fpr_legit).Key("fpr_heavy_legit").Double(r.fpr_heavy_legit);
  w.Key("day_precision").Double(r.day_precision).Key("day_recall").Double(r.day_recall);
  w.Key("events").Int(r.events).Key("seconds").Double(r.seconds);
  w.Key("targets_met").Bool(r.MeetsTargets());
  if (r.foreign.users > 0) {
    w.Key("foreign_org").BeginObject().Key("active_users").Int(r.foreign.active_users);
    w.Key("flagged_users")
        .Int(r.foreign.flagged_users)
        .Key("fpr")
        .Double(r.foreign.fpr)
        .EndObject();
  }
  w.Key("personas").BeginArray();
  for (const auto& p : r.personas) {
    w.BeginObject().Key("persona").String(p.persona).Key("farming").Bool(p.farming);
    w.Key("users").Int(p.users).Key("flagged_users").Int(p.flagged_users);
    w.Key("user_days").Int(p.user_days).Key("flagged_days").Int(p.flagged_days).EndObject();
  }
  w.EndArray().EndObject();
  return w.Take();
}

static IngestPathFactory& Factory() {
  static IngestPathFactory f;
  return f;
}

void SetIngestPathFactory(IngestPathFactory f) { Factory() = std::move(f); }

std::vector<std::string> ParsePromptLines(std::string_view content) {
  std::vector<std::string> out;
  while (!content.empty()) {
    size_t nl = content.find('\n');
    std::string_view line = content.substr(0, nl);
    content.remove_prefix(nl == std::string_view::npos ? content.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    std::string text;
    for (size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == 'n') {
        text += '\n';
        ++i;
      } else {
        text += line[i];
      }
    }
    out.push_back(std::move(text));
  }
  return out;
}

Result<std::vector<std::string>> LoadPromptLines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument(path + ": cannot read");
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> out = ParsePromptLines(content);
  if (out.empty()) return Status::InvalidArgument(path + ": no prompts (one per line)");
  return out;
}

int RunEvalDetection(const EvalOptions& options) {
  detect::DetectConfig cfg;
  if (options.generator == "personas") {
    sim::PersonaSim probe(options.sim);
    for (auto& u : probe.ExemptUsers()) cfg.exempt.insert(u);
  }
  FakeClock clock(options.sim.start);
  detect::DetectionEngine engine(cfg, clock);
  IngestFn ingest;
  if (Factory()) {
    auto made = Factory()(engine, clock);
    if (!made.ok()) {
      std::fprintf(stderr, "eval-detection: %s\n", made.status().ToString().c_str());
      return 2;
    }
    ingest = std::move(*made);
  }
  auto rep = RunEvaluation(options, engine, ingest);
  if (!rep.ok()) {
    std::fprintf(stderr, "eval-detection: %s\n", rep.status().ToString().c_str());
    return 2;
  }
  if (options.foreign_users > 0) {
    auto foreign = RunForeignOrg(options.foreign_users, options.sim.days, options.sim.seed,
                                 options.min_flag_days);
    if (!foreign.ok()) {
      std::fprintf(stderr, "eval-detection: %s\n", foreign.status().ToString().c_str());
      return 2;
    }
    rep->foreign = *foreign;
  }
  std::string out = options.json ? ReportJson(*rep) + "\n" : FormatReport(*rep);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return options.check && !rep->MeetsTargets() ? 1 : 0;
}

void AddEvalDetectionCommand(CLI::App& app) {
  auto opts = std::make_shared<EvalOptions>();
  CLI::App* sub = app.add_subcommand("eval-detection",
                                     "Run a labelled persona simulation through the farming "
                                     "detectors; print precision, recall and FPR");
  sub->add_option("--users", opts->sim.users, "Simulated users")
      ->capture_default_str()
      ->check(CLI::Range(20, 1000000));
  sub->add_option("--days", opts->sim.days, "Simulated days")
      ->capture_default_str()
      ->check(CLI::Range(1, 366));
  sub->add_option("--seed", opts->sim.seed, "Random seed")->capture_default_str();
  sub->add_option("--rate-scale", opts->sim.rate_scale, "Multiply every persona's request rate")
      ->capture_default_str()
      ->check(CLI::Range(0.05, 20.0));
  sub->add_option("--token-scale", opts->sim.token_scale, "Multiply every request's tokens")
      ->capture_default_str()
      ->check(CLI::Range(0.01, 100.0));
  sub->add_option("--farm-share", opts->sim.farm_share, "Share of users that farm")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 0.5));
  sub->add_option("--team-size", opts->sim.team_size, "Users per team")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  sub->add_option("--bot-farm-size", opts->sim.bot_farm_size, "Accounts per bot farm")
      ->capture_default_str()
      ->check(CLI::Range(2, 10000));
  sub->add_option("--min-flag-days", opts->min_flag_days,
                  "Flagged days that make a user count as flagged")
      ->capture_default_str()
      ->check(CLI::Range(1, 366));
  sub->add_option(
         "--foreign-users", opts->foreign_users,
         "Also run this many users of the foundation simulator (no farmers) and report their FPR")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000000));
  sub->add_option_function<std::string>(
         "--legit-prompts",
         [opts](const std::string& path) {
           auto lines = LoadPromptLines(path);
           if (!lines.ok()) throw CLI::ValidationError("--legit-prompts", lines.status().message());
           opts->sim.legit_prompts =
               std::make_shared<const std::vector<std::string>>(std::move(*lines));
         },
         "Legitimate personas take their prompts from this file (one per line, \\n for a line "
         "break) "
         "instead of generated words")
      ->check(CLI::ExistingFile);
  sub->add_option(
         "--generator", opts->generator,
         "Labelled organisation: personas (src/sim/personas.cc) or corpus (src/sim/corpus_org.cc, "
         "independent, real text)")
      ->capture_default_str()
      ->check(CLI::IsMember({"personas", "corpus"}));
  sub->add_option("--corpus", opts->corpus_dir, "Real-text corpus for --generator corpus")
      ->capture_default_str()
      ->check(CLI::ExistingDirectory);
  sub->add_flag("--check", opts->check, "Exit 1 when a quality target is missed");
  sub->add_flag("--json", opts->json, "Print the report as JSON");
  sub->callback([opts] {
    int rc = RunEvalDetection(*opts);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace burnrate::cli
