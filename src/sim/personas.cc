// The persona generator. Each persona is a small program over a per-(user,
// day) random stream. Legitimate personas share one agentic-session model:
// a turn is a user prompt followed by a few agent steps seconds apart; turns
// are separated by log-normal human think time; outcomes (commits, accepted
// edits, passing tests) follow a share of turns. Farmers are what the field
// reports: timers, stuffed prompts, essay generators, fleets of sessions,
// shared prompt templates over many accounts, cached-context replays, and an
// adaptive farmer who jitters, varies prompts and fakes a few outcomes.
// Nothing here knows the detectors' thresholds.
#include "sim/personas.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <unordered_set>

#include "model/prompt_features.h"

namespace burnrate::sim {
namespace {

const std::vector<std::string>& Vocab() {
  static const std::vector<std::string> v = [] {
    const char* syl[] = {"ka",  "ro",  "mi",  "te", "lun", "dor", "pa", "si",
                         "vek", "an",  "tor", "el", "qu",  "bra", "ne", "lo",
                         "fi",  "gar", "us",  "zo", "chi", "mer", "da", "ix"};
    std::mt19937_64 r(42);
    std::vector<std::string> out;
    for (int i = 0; i < 3000; ++i) {
      std::string w;
      int n = 1 + static_cast<int>(r() % 3);
      for (int j = 0; j < n; ++j) w += syl[r() % 24];
      out.push_back(w);
    }
    return out;
  }();
  return v;
}

struct Gen {
  const PersonaOptions& o;
  const PersonaUser& u;
  int day;
  std::mt19937_64 rng;
  TimeMs local0;  // UTC instant of the user's local midnight of this day
  std::vector<model::Event>* out;
  std::vector<std::string>* texts;
  int counter = 0;
  std::unordered_set<size_t> used_prompts{};  // long --legit-prompts lines used today

  double U(double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng); }
  int I(int a, int b) { return std::uniform_int_distribution<int>(a, b)(rng); }
  bool B(double p) { return U(0, 1) < p; }
  double LogN(double median, double sigma) {
    return median * std::exp(sigma * std::normal_distribution<double>(0, 1)(rng));
  }
  double N(double mean, double sd) { return std::normal_distribution<double>(mean, sd)(rng); }
  TimeMs Hours(double h) { return static_cast<TimeMs>(h * kHourMs); }
  TimeMs Secs(double s) { return static_cast<TimeMs>(s * kSecondMs); }
  bool Weekend() const { return (day % 7) >= 5; }

  std::string Words(int n) {
    const auto& v = Vocab();
    std::string s;
    for (int i = 0; i < n; ++i) {
      if (i) s += ' ';
      s += v[rng() % v.size()];
    }
    return s;
  }
  std::string Code(int lines) {
    const auto& v = Vocab();
    std::string s = "\n```\n";
    for (int i = 0; i < lines; ++i)
      s += fmt::format("  {}_{} = {}({}, {});\n", v[rng() % v.size()], v[rng() % v.size()],
                       v[rng() % v.size()], v[rng() % v.size()], I(0, 999));
    return s + "```\n";
  }
  std::string LegitPrompt() {
    if (o.legit_prompts && !o.legit_prompts->empty()) {
      // People send short prompts ("continue", "yes") again and again, but
      // rarely paste the same long request twice in a day: a long line is
      // taken once per user-day while unused ones are easy to find.
      const auto& c = *o.legit_prompts;
      size_t k = rng() % c.size();
      for (int tries = 0; tries < 16 && c[k].size() >= 32 && !used_prompts.insert(k).second;
           ++tries)
        k = rng() % c.size();
      return c[k];
    }
    std::string p = Words(I(6, 60));
    if (B(0.25)) p += Code(I(3, 30));
    return p;
  }
  std::string Variant(const std::string& tmpl) {
    std::string out;
    size_t pos = 0;
    int changes = I(1, 3);
    std::vector<std::string> words;
    while (pos < tmpl.size()) {
      size_t e = tmpl.find(' ', pos);
      if (e == std::string::npos) e = tmpl.size();
      words.push_back(tmpl.substr(pos, e - pos));
      pos = e + 1;
    }
    for (int c = 0; c < changes && !words.empty(); ++c) words[rng() % words.size()] = Words(1);
    for (size_t i = 0; i < words.size(); ++i) out += (i ? " " : "") + words[i];
    return out;
  }

  model::TokenCounts Tokens(double input, double output, double cache_read, double cache_write) {
    model::TokenCounts t;
    double s = o.token_scale;
    t.input = std::max<int64_t>(1, std::llround(input * s));
    t.output = std::max<int64_t>(1, std::llround(output * s));
    t.cache_read = std::llround(cache_read * s);
    t.cache_write = std::llround(cache_write * s);
    return t;
  }
  // An event of this user's, with the next id of the day.
  model::Event Base(model::EventType type, TimeMs ts, const std::string& session) {
    model::Event e;
    e.type = type;
    e.id = fmt::format("{}-{}-{}", u.name, day, counter++);
    e.ts = ts;
    e.received = ts;
    e.user = u.name;
    e.team = u.team;
    e.org = "sim";
    e.source = "sim";
    e.session = session;
    return e;
  }
  void Usage(TimeMs ts, const std::string& session, const std::string& client,
             model::TokenCounts tk, std::string text) {
    model::Event e = Base(model::EventType::kUsage, ts, session);
    e.client = client;
    e.model = "claude-sonnet-4";
    e.tokens = tk;
    if (!text.empty()) e.prompt = model::ComputePromptFeatures(text);
    out->push_back(std::move(e));
    if (texts) texts->push_back(std::move(text));
  }
  void Outcome(TimeMs ts, const std::string& session, const char* kind) {
    model::Event e = Base(model::EventType::kOutcome, ts, session);
    e.outcome_kind = kind;
    e.outcome_value = 1;
    out->push_back(std::move(e));
    if (texts) texts->push_back("");
  }
};

struct TurnModel {
  double think_median_s = 900;  // between turns
  double steps_mean = 3;        // agent requests after the prompt
  double outcome_p = 0.25;      // outcome after a turn
  double out_median = 350;      // output tokens per request
  double ctx0 = 15000, ctx_step = 2500, ctx_max = 120000;
};

const char* kOutcomeKinds[] = {"commit", "edit_accepted", "tests_passed", "lines_added",
                               "pull_request"};

// Runs turns of one session from t until t_end. `prompt` makes each turn's text.
template <typename PromptFn>
void Session(Gen& g, TimeMs t, TimeMs t_end, const std::string& session, const std::string& client,
             const TurnModel& m, PromptFn prompt) {
  double ctx = m.ctx0;
  while (t < t_end) {
    int steps = static_cast<int>(std::floor(-std::log(g.U(1e-9, 1)) * m.steps_mean));
    g.Usage(t, session, client,
            g.Tokens(g.LogN(600, 0.7), g.LogN(m.out_median, 0.9), ctx, g.LogN(1500, 0.8)),
            prompt());
    for (int s = 0; s < steps; ++s) {
      t += g.Secs(g.LogN(9, 0.8));
      ctx = std::min(m.ctx_max, ctx + g.LogN(800, 0.5));
      g.Usage(t, session, client,
              g.Tokens(g.LogN(400, 0.7), g.LogN(m.out_median, 0.9), ctx, g.LogN(300, 0.8)), "");
    }
    if (g.B(m.outcome_p)) g.Outcome(t + g.Secs(g.U(5, 120)), session, kOutcomeKinds[g.rng() % 5]);
    ctx = std::min(m.ctx_max, ctx + m.ctx_step);
    t += g.Secs(g.LogN(m.think_median_s / g.o.rate_scale, 1.0));
  }
}

// A working day of `sessions` sequential sessions over [start, start+len) local hours.
void WorkDay(Gen& g, double start_h, double len_h, int sessions, const TurnModel& m,
             bool parallel = false) {
  TimeMs t0 = g.local0 + g.Hours(start_h), t1 = t0 + g.Hours(len_h);
  std::string client = fmt::format("{}-ws{}", g.u.name, g.I(1, 2));
  TimeMs span = (t1 - t0) / sessions;
  for (int s = 0; s < sessions; ++s) {
    std::string sid = fmt::format("{}-d{}-s{}", g.u.name, g.day, s);
    TimeMs a = parallel ? t0 + g.Secs(g.U(0, 1800)) : t0 + s * span;
    TimeMs b = parallel ? t1 - g.Secs(g.U(0, 1800)) : a + span - g.Secs(g.U(300, 2400));
    Session(g, a, b, sid, client, m, [&] { return g.LegitPrompt(); });
  }
}

void Legit(Gen& g) {
  TurnModel m;
  switch (g.u.persona) {
    case Persona::kNormal:
      if (g.Weekend() && !g.B(0.15)) return;
      WorkDay(g, std::clamp(g.N(9.3, 1), 6.0, 12.0), std::clamp(g.N(8.5, 1), 5.0, 11.0), g.I(2, 4),
              m);
      return;
    case Persona::kNightShift:
      if (g.Weekend() && !g.B(0.15)) return;
      WorkDay(g, g.U(20.5, 23), std::clamp(g.N(8.5, 0.7), 6.0, 10.0), g.I(2, 4), m);
      return;
    case Persona::kHeavyAgentic:
      if (g.Weekend() && !g.B(0.4)) return;
      m.steps_mean = 8, m.outcome_p = 0.35, m.out_median = 500, m.ctx_max = 180000;
      WorkDay(g, std::clamp(g.N(8.5, 1), 6.0, 11.0), g.U(10, 14), g.I(3, 5), m, /*parallel=*/true);
      return;
    case Persona::kNewcomer: {
      if (g.Weekend()) return;
      m.outcome_p = 0.08, m.steps_mean = 1.5, m.think_median_s = 1200;
      std::vector<std::string> asked;
      TimeMs t0 = g.local0 + g.Hours(g.U(9, 11));
      Session(g, t0, t0 + g.Hours(g.U(3, 7)), fmt::format("{}-d{}-s0", g.u.name, g.day),
              g.u.name + "-laptop", m, [&] {
                if (!asked.empty() && g.B(0.3)) return asked[g.rng() % asked.size()];
                asked.push_back("how do i " + g.Words(g.I(4, 14)));
                return asked.back();
              });
      return;
    }
    case Persona::kOnCall: {
      if (!g.Weekend()) WorkDay(g, g.N(10, 1), g.U(3, 6), 1, m);
      int incidents = g.B(0.5) ? g.I(1, 3) : 0;
      TurnModel burst = m;
      burst.think_median_s = 90, burst.steps_mean = 5, burst.outcome_p = 0.3;
      for (int i = 0; i < incidents; ++i) {
        TimeMs a = g.local0 + g.Hours(g.U(0, 23));
        Session(g, a, a + g.Secs(g.U(1200, 5400)), fmt::format("{}-d{}-inc{}", g.u.name, g.day, i),
                g.u.name + "-laptop", burst, [&] { return g.LegitPrompt(); });
      }
      return;
    }
    case Persona::kBatchEval: {
      TimeMs t = g.local0 + g.Hours(g.U(0, 8)), end = t + g.Hours(g.U(8, 20));
      std::string sid = fmt::format("{}-batch{}", g.u.name, g.day);
      for (int i = 0; t < end; ++i) {
        g.Usage(
            t, sid, "eval-runner", g.Tokens(g.LogN(1500, 0.5), g.LogN(20, 0.5), 4000, 0),
            fmt::format("Evaluate the following test case and answer with the final label only. "
                        "Case {}: {}",
                        i, g.Words(g.I(20, 80))));
        t += g.Secs(std::max(1.0, g.N(30, 3)) / g.o.rate_scale);
      }
      return;
    }
    case Persona::kCiService: {
      TimeMs t = g.local0 + g.Secs(g.U(0, 1200)), end = g.local0 + kDayMs;
      for (int run = 0; t < end; ++run) {
        std::string sid = fmt::format("{}-d{}-run{}", g.u.name, g.day, run);
        int n = g.I(3, 8);
        for (int i = 0; i < n; ++i) {
          g.Usage(t, sid, "ci-runner-" + std::to_string(g.I(1, 6)),
                  g.Tokens(g.LogN(3000, 0.5), g.LogN(400, 0.7), g.LogN(20000, 0.5), 2000),
                  "Review this diff for bugs and style problems:" + g.Code(g.I(5, 40)));
          t += g.Secs(g.LogN(6, 0.5));
        }
        if (g.B(0.85)) g.Outcome(t, sid, "tests_passed");
        t += g.Secs(g.LogN(1200 / g.o.rate_scale, 0.8));
      }
      return;
    }
    default:
      return;
  }
}

// A request every `interval_s` (x (1 +- jitter)) for `hours` starting at a random hour.
template <typename PromptFn, typename TokenFn>
void Loop(Gen& g, double interval_s, double jitter, double hours, int sessions, PromptFn prompt,
          TokenFn tokens) {
  TimeMs t = g.local0 + g.Hours(g.U(0, 24 - hours)), end = t + g.Hours(hours);
  for (int i = 0; t < end; ++i) {
    g.Usage(t, fmt::format("{}-d{}-s{}", g.u.name, g.day, i % sessions), g.u.name + "-box",
            tokens(), prompt());
    t += g.Secs(interval_s / g.o.rate_scale * (1 + g.U(-jitter, jitter)));
  }
}

// long: the farming personas' table, one case of a few lines per persona.
void Farm(Gen& g, const std::vector<std::string>& farm_templates) {
  switch (g.u.persona) {
    case Persona::kIdleLoop: {
      const char* kPrompts[] = {"continue", "keep going", "go on", "next step please",
                                "ok continue"};
      std::string p = kPrompts[g.u.seed % 5];
      Loop(
          g, g.U(15, 120), 0.05, g.U(18, 24), 1, [&] { return p; },
          [&] { return g.Tokens(200, g.LogN(200, 0.5), g.LogN(30000, 0.3), 100); });
      return;
    }
    case Persona::kPromptStuffer: {
      std::string phrase = g.Words(g.I(3, 8)) + " ";
      TurnModel m;
      m.think_median_s = 300, m.steps_mean = 0.5, m.outcome_p = 0;
      TimeMs t0 = g.local0 + g.Hours(g.U(7, 11));
      for (int s = 0; s < 2; ++s)
        Session(g, t0 + s * g.Hours(5), t0 + s * g.Hours(5) + g.Hours(4.5),
                fmt::format("{}-d{}-s{}", g.u.name, g.day, s), g.u.name + "-ws", m, [&] {
                  std::string p;
                  size_t len = static_cast<size_t>(g.U(3000, 30000));
                  while (p.size() < len) p += phrase;
                  return p;
                });
      return;
    }
    case Persona::kOutputFarmer: {
      TimeMs t = g.local0 + g.Hours(g.U(7, 11)), end = t + g.Hours(g.U(8, 12));
      const char* kinds[] = {"essay", "story", "report", "article"};
      for (int i = 0; t < end; ++i) {
        double out = g.U(6000, 16000);
        g.Usage(t, fmt::format("{}-d{}-s{}", g.u.name, g.day, i % 3), g.u.name + "-ws",
                g.Tokens(g.U(40, 120), out, g.U(0, 2000), 0),
                fmt::format("Write a 10000-word {} about {}. Be as detailed as possible.",
                            kinds[g.rng() % 4], g.Words(g.I(3, 6))));
        t += g.Secs((out / 60 + g.LogN(30, 0.7)) / g.o.rate_scale);
      }
      return;
    }
    case Persona::kParallelFarm: {
      TurnModel m;
      m.think_median_s = 400, m.outcome_p = 0;
      int n = g.I(16, 80);
      double start = g.U(6, 10), len = g.U(8, 16);
      for (int s = 0; s < n; ++s) {
        TimeMs a = g.local0 + g.Hours(start) + g.Secs(g.U(0, 900));
        Session(g, a, a + g.Hours(len), fmt::format("{}-d{}-p{}", g.u.name, g.day, s),
                fmt::format("{}-box{}", g.u.name, s % 4), m, [&] { return g.LegitPrompt(); });
      }
      return;
    }
    case Persona::kBotFarm: {
      if (g.u.group % 2 == 1) {
        // A synchronised farm: every account fires on the farm's shared
        // schedule (UTC), with its own varied, legit-looking prompts.
        std::mt19937_64 farm(g.o.seed * 31 + uint64_t(g.u.group) * 1000003 + uint64_t(g.day));
        auto fu = [&](double a, double b) {
          return std::uniform_real_distribution<double>(a, b)(farm);
        };
        TimeMs tick = g.o.start + g.day * kDayMs + g.Hours(fu(5, 10));
        TimeMs end = tick + g.Hours(fu(8, 12));
        double every_s = fu(180, 480);
        std::string sid = fmt::format("{}-d{}-s0", g.u.name, g.day);
        for (; tick < end; tick += g.Secs(every_s * fu(0.9, 1.1) / g.o.rate_scale)) {
          if (!g.B(0.9)) continue;
          TimeMs t = tick + g.Secs(g.U(0, 20));
          g.Usage(t, sid, g.u.name + "-ws",
                  g.Tokens(g.LogN(600, 0.7), g.LogN(350, 0.9), g.LogN(40000, 0.5), 800),
                  g.LegitPrompt());
          for (int k = g.I(0, 2); k > 0; --k) {
            t += g.Secs(g.LogN(9, 0.5));
            g.Usage(t, sid, g.u.name + "-ws",
                    g.Tokens(g.LogN(400, 0.7), g.LogN(350, 0.9), g.LogN(40000, 0.5), 300), "");
          }
        }
        return;
      }
      TurnModel m;
      m.think_median_s = 500, m.outcome_p = 0;
      TimeMs t0 = g.local0 + g.Hours(g.U(7, 10));
      Session(g, t0, t0 + g.Hours(g.U(7, 10)), fmt::format("{}-d{}-s0", g.u.name, g.day),
              g.u.name + "-ws", m,
              [&] { return g.Variant(farm_templates[g.rng() % farm_templates.size()]); });
      return;
    }
    case Persona::kCacheReplayer: {
      const char* kPrompts[] = {"ok", "again", "same as before", "repeat the last answer"};
      int mine = static_cast<int>(g.u.seed % 4);
      Loop(
          g, g.U(20, 60), 0.4, g.U(8, 16), g.I(1, 2),
          [&] { return std::string(kPrompts[g.B(0.8) ? mine : g.rng() % 4]); },
          [&] { return g.Tokens(50, g.U(1, 30), g.LogN(180000, 0.1), 0); });
      return;
    }
    case Persona::kAdaptiveFarmer: {
      std::mt19937_64 own(g.u.seed);  // the farmer's own templates, stable across days
      std::swap(own, g.rng);
      std::vector<std::string> tmpl = {g.Words(40), g.Words(35), g.Words(45)};
      std::swap(own, g.rng);
      int sessions = g.I(1, 3);
      double hours = g.U(12, 20);
      Loop(
          g, g.U(20, 90), 0.6, hours, sessions, [&] { return g.Variant(tmpl[g.rng() % 3]); },
          [&] {
            return g.Tokens(g.LogN(600, 0.7), g.LogN(400, 0.8), g.LogN(40000, 0.5),
                            g.LogN(800, 0.8));
          });
      int fakes = g.I(1, 3);
      for (int i = 0; i < fakes; ++i)
        g.Outcome(g.local0 + g.Hours(g.U(9, 18)),
                  fmt::format("{}-d{}-s{}", g.u.name, g.day, i % sessions), "commit");
      return;
    }
    default:
      return;
  }
}

}  // namespace

const char* PersonaName(Persona p) {
  static const char* kNames[] = {"normal",         "heavy_agentic",  "night_shift",   "on_call",
                                 "batch_eval",     "ci_service",     "newcomer",      "idle_loop",
                                 "prompt_stuffer", "output_farmer",  "parallel_farm", "bot_farm",
                                 "cache_replayer", "adaptive_farmer"};
  return kNames[static_cast<int>(p)];
}

bool IsFarming(Persona p) { return static_cast<int>(p) >= static_cast<int>(Persona::kIdleLoop); }

PersonaSim::PersonaSim(PersonaOptions o) : o_(o) {
  std::mt19937_64 r(o.seed * 0x9E3779B97F4A7C15ull + 7);
  auto U = [&] { return std::uniform_real_distribution<double>(0, 1)(r); };
  // Legit mix (of legit users) and farm mix (of farmers), by persona.
  const std::pair<Persona, double> legit[] = {
      {Persona::kHeavyAgentic, 0.05}, {Persona::kNightShift, 0.04}, {Persona::kOnCall, 0.04},
      {Persona::kBatchEval, 0.005},   {Persona::kCiService, 0.005}, {Persona::kNewcomer, 0.05}};
  const std::pair<Persona, double> farm[] = {
      {Persona::kIdleLoop, 0.15},      {Persona::kPromptStuffer, 0.1},
      {Persona::kOutputFarmer, 0.1},   {Persona::kParallelFarm, 0.1},
      {Persona::kBotFarm, 0.3},        {Persona::kCacheReplayer, 0.1},
      {Persona::kAdaptiveFarmer, 0.15}};
  const int tz[] = {-480, -300, 0, 0, 60, 60, 120, 330, 480, 540};
  int teams = std::max(1, o.users / o.team_size);
  int bot_in_group = 0, groups = 0;
  for (int i = 0; i < o.users; ++i) {
    PersonaUser u;
    u.seed = r();
    u.tz_offset_min = tz[r() % 10];
    u.team = fmt::format("team-{:03d}", static_cast<int>(r() % teams));
    double x = U();
    const auto* mix = legit;
    size_t n = std::size(legit);
    if (U() < o.farm_share) mix = farm, n = std::size(farm), u.persona = Persona::kIdleLoop;
    for (size_t k = 0; k < n; ++k) {
      if (x < mix[k].second) {
        u.persona = mix[k].first;
        break;
      }
      x -= mix[k].second;
    }
    if (u.persona == Persona::kBotFarm) {
      if (bot_in_group == 0) ++groups;
      u.group = groups - 1;
      bot_in_group = (bot_in_group + 1) % o.bot_farm_size;
    }
    u.name = u.persona == Persona::kCiService ? fmt::format("svc-ci-{:05d}", i)
                                              : fmt::format("u{:05d}", i);
    if (u.persona == Persona::kCiService) u.team = "platform-ci";
    users_.push_back(std::move(u));
  }
  for (int gi = 0; gi < groups; ++gi) {
    Gen g{o_, users_[0], 0, std::mt19937_64(o.seed + 1000 + gi), 0, nullptr, nullptr};
    std::vector<std::string> t;
    for (int k = 0; k < 4; ++k) t.push_back(g.Words(g.I(30, 50)));
    farm_templates_.push_back(std::move(t));
  }
}

std::unordered_map<std::string, Persona> PersonaSim::Labels() const {
  std::unordered_map<std::string, Persona> m;
  for (const auto& u : users_) m[u.name] = u.persona;
  return m;
}

std::vector<std::string> PersonaSim::ExemptUsers() const {
  std::vector<std::string> v;
  for (const auto& u : users_)
    if (u.persona == Persona::kBatchEval) v.push_back(u.name);
  return v;
}

void PersonaSim::GenerateDay(int d, std::vector<model::Event>* out,
                             std::vector<std::string>* texts) const {
  size_t first = out->size();
  for (const PersonaUser& u : users_) {
    Gen g{o_,
          u,
          d,
          std::mt19937_64(u.seed ^ (uint64_t(d) * 0xD1B54A32D192ED03ull)),
          o_.start + d * kDayMs - u.tz_offset_min * kMinuteMs,
          out,
          texts};
    if (IsFarming(u.persona)) {
      static const std::vector<std::string> kNone;
      Farm(g, u.group >= 0 ? farm_templates_[u.group] : kNone);
    } else {
      Legit(g);
    }
  }
  // Sort the appended range by time (texts alongside when given).
  std::vector<size_t> idx(out->size() - first);
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = first + i;
  std::stable_sort(idx.begin(), idx.end(),
                   [&](size_t a, size_t b) { return (*out)[a].ts < (*out)[b].ts; });
  std::vector<model::Event> ev;
  ev.reserve(idx.size());
  std::vector<std::string> tx;
  for (size_t i : idx) {
    ev.push_back(std::move((*out)[i]));
    if (texts) tx.push_back(std::move((*texts)[i]));
  }
  std::move(ev.begin(), ev.end(), out->begin() + static_cast<std::ptrdiff_t>(first));
  if (texts) std::move(tx.begin(), tx.end(), texts->begin() + static_cast<std::ptrdiff_t>(first));
}

}  // namespace burnrate::sim
