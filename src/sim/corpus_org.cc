// The corpus organisation. Written without reference to personas.cc: its
// own persona programs, time model and token model, and real text.
//
// Time. Every persona works in its local day (UTC + tz). A human works in
// sessions separated by breaks; inside a session, turns follow log-normal
// think times (median minutes, heavy tail) and each turn is one prompt plus
// a few agent requests seconds apart that carry no text. Farmers run on
// timers, fleets of sessions or shared schedules.
//
// Text. Prompts are real documents or excerpts of them: a researcher pastes
// a whole document under one fixed instruction, an engineer asks about a
// few lines of a header or man page, a log paster pastes a 60-line dpkg log
// window (and after a "re-run" the same window with lines changed), a
// reviewer a changelog. Short follow-ups ("continue", "yes") come between.
//
// Tokens. Input is the text's bytes / 4 plus a log-normal context; agentic
// requests read a cached context (growing 10% a step, compacted below the
// 200K window); output is log-normal per persona.
#include "sim/corpus_org.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include "model/prompt_features.h"

namespace burnrate::sim {
namespace {

enum Persona {
  kEngineer,
  kResearcher,
  kLogPaster,
  kReviewer,
  kNightOwl,
  kTimerLoop,
  kRepeatVaried,
  kOutputFarm,
  kParallelSessions,
  kBotFarm,
  kPersonas
};
const char* const kNames[kPersonas] = {
    "engineer",   "researcher",    "log_paster",  "reviewer",          "night_owl",
    "timer_loop", "repeat_varied", "output_farm", "parallel_sessions", "bot_farm"};
bool Farming(int p) { return p >= kTimerLoop; }

// Legitimate mix (weights), and the farming mix.
const double kLegitWeights[] = {0.45, 0.15, 0.15, 0.12, 0.13};
const double kFarmWeights[] = {0.2, 0.2, 0.15, 0.15, 0.3};

const char* const kInstructions[] = {
    "Compare these designs and summarise the risks:\n",
    "Summarise this document for the team and list the open questions:\n",
    "Read this and tell me what it means for our project:\n",
    "Extract every obligation and restriction from the following text:\n",
};
const char* const kFollowUps[] = {"continue",
                                  "yes",
                                  "ok, go ahead",
                                  "run the tests",
                                  "thanks",
                                  "can you make that shorter?",
                                  "what about the error handling?",
                                  "and the second point?",
                                  "show me the diff"};

std::vector<std::string> SplitLines(const std::string& t) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at < t.size()) {
    size_t nl = t.find('\n', at);
    if (nl == std::string::npos) nl = t.size();
    out.push_back(t.substr(at, nl - at));
    at = nl + 1;
  }
  return out;
}

// One user-day: the random stream and the event sink.
struct DayGen {
  const LabelledUser& u;
  const TextCorpus& corpus;
  bool outcomes;  // the team reports outcomes
  std::mt19937_64 rng;
  std::vector<model::Event>* out;
  int64_t day_index;
  int n = 0;

  double U(double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng); }
  int I(int a, int b) { return std::uniform_int_distribution<int>(a, b)(rng); }
  bool B(double p) { return U(0, 1) < p; }
  double LogN(double median, double sigma) {
    return median * std::exp(sigma * std::normal_distribution<>(0, 1)(rng));
  }
  const std::string& Doc(const char* kind) {
    const auto& v = corpus.at(kind);
    return v[rng() % v.size()];
  }
  // `lines` consecutive lines of a random document of `kind`.
  std::string Excerpt(const char* kind, int lines) {
    std::vector<std::string> l = SplitLines(Doc(kind));
    size_t from = l.size() > size_t(lines) ? rng() % (l.size() - size_t(lines)) : 0;
    std::string t;
    for (size_t i = from; i < l.size() && i < from + size_t(lines); ++i) t += l[i] + "\n";
    return t;
  }
  std::string Source() const { return outcomes ? "claude_code" : "otlp"; }

  void Request(TimeMs t, const std::string& session, const std::string& text, double out_tokens,
               double cache) {
    model::Event e;
    e.type = model::EventType::kUsage;
    e.id = fmt::format("{}-{}-{}", u.name, day_index, n++);
    e.ts = e.received = t;
    e.user = u.name, e.team = u.team, e.source = Source(), e.session = session;
    e.client = u.name + "-laptop";
    e.model = "claude-sonnet-4";
    e.tokens.input = static_cast<int64_t>(double(text.size()) / 4 + LogN(1500, 0.6));
    e.tokens.output = static_cast<int64_t>(out_tokens);
    e.tokens.cache_read = static_cast<int64_t>(cache);
    if (!text.empty()) e.prompt = model::ComputePromptFeatures(text);
    out->push_back(std::move(e));
  }
  void Outcome(TimeMs t, const std::string& session, const char* kind) {
    if (!outcomes) return;
    model::Event e;
    e.type = model::EventType::kOutcome;
    e.id = fmt::format("{}-{}-{}", u.name, day_index, n++);
    e.ts = e.received = t;
    e.user = u.name, e.team = u.team, e.source = Source(), e.session = session;
    e.outcome_kind = kind, e.outcome_value = 1;
    out->push_back(std::move(e));
  }

  // Human sessions from local hour `from` for `hours`: turns `think_min`
  // minutes apart (median), each a prompt from `prompt` and 0-3 agent steps.
  template <typename PromptFn>
  void Work(TimeMs local0, double from, double hours, double think_min, double out_median,
            double outcome_p, PromptFn prompt) {
    TimeMs t = local0 + static_cast<TimeMs>(from * kHourMs),
           end = t + static_cast<TimeMs>(hours * kHourMs);
    int s = 0;
    while (t < end) {
      std::string session = fmt::format("{}-{}-s{}", u.name, day_index, s++);
      TimeMs session_end = std::min(end, t + static_cast<TimeMs>(LogN(90, 0.5) * kMinuteMs));
      double context = LogN(15000, 0.7);
      for (; t < session_end; t += static_cast<TimeMs>(LogN(think_min, 0.9) * kMinuteMs)) {
        Request(t, session, prompt(), LogN(out_median, 0.8), context);
        TimeMs step = t;
        for (int k = I(0, 3); k > 0; --k) {
          step += static_cast<TimeMs>(U(3, 40) * kSecondMs);
          // Claude Code compacts the conversation before it fills the
          // 200K-token window; an uncapped growth reached millions of
          // tokens per request, which no model accepts.
          context = std::min(context * 1.1, 180000.0);
          Request(step, session, "", LogN(out_median, 0.8), context);
        }
        if (B(outcome_p))
          Outcome(step + 30 * kSecondMs, session, B(0.5) ? "commit" : "tests_passed");
      }
      t += static_cast<TimeMs>(LogN(25, 0.6) * kMinuteMs);  // a break
    }
  }
};

}  // namespace

Result<TextCorpus> LoadTextCorpus(const std::string& dir) {
  namespace fs = std::filesystem;
  TextCorpus c;
  for (const char* kind : {"copyright", "header", "man", "changelog", "log"}) {
    std::error_code ec;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(fs::path(dir) / kind, ec))
      files.push_back(e.path());
    if (ec)
      return Status::InvalidArgument(dir + ": no " + kind + "/ directory (" + ec.message() + ")");
    std::sort(files.begin(), files.end());
    for (const auto& p : files) {
      std::ifstream in(p, std::ios::binary);
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (!text.empty()) c[kind].push_back(std::move(text));
    }
    if (c[kind].empty()) return Status::InvalidArgument(dir + "/" + kind + ": no documents");
  }
  size_t log_lines = 0;
  for (const auto& doc : c["log"]) log_lines += size_t(std::count(doc.begin(), doc.end(), '\n'));
  if (log_lines <= 60) return Status::InvalidArgument(dir + "/log: fewer than 61 lines of log");
  return c;
}

CorpusOrg::CorpusOrg(CorpusOrgOptions o, TextCorpus corpus) : o_(o), corpus_(std::move(corpus)) {
  for (const std::string& doc : corpus_.at("log"))
    for (std::string& l : SplitLines(doc)) log_lines_.push_back(std::move(l));
  std::mt19937_64 r(o_.seed * 0x9E3779B97F4A7C15ull + 17);
  auto pick = [&](const double* w, int n) {
    double x = std::uniform_real_distribution<>(0, 1)(r), acc = 0;
    for (int i = 0; i < n; ++i)
      if ((acc += w[i]) >= x) return i;
    return n - 1;
  };
  int teams = std::max(1, o_.users / o_.team_size);
  std::vector<char> team_outcomes(static_cast<size_t>(teams));
  for (auto& t : team_outcomes)
    t = std::uniform_real_distribution<>(0, 1)(r) >= o_.no_outcome_teams;
  // A farming draw yields one account, or a bot farm's bot_group: draws are
  // rarer by the mean accounts per draw, so farm_share of users farm.
  double per_draw = 0;
  for (int p = 0; p < 5; ++p)
    per_draw += kFarmWeights[p] * (p + kTimerLoop == kBotFarm ? o_.bot_group : 1);
  int groups = 0;
  for (int i = 0; i < o_.users;) {
    Member m;
    bool farm = std::uniform_real_distribution<>(0, 1)(r) < o_.farm_share / per_draw;
    m.persona = farm ? kTimerLoop + pick(kFarmWeights, 5) : pick(kLegitWeights, 5);
    // A bot farm is a group of accounts, each in a team of its own choosing.
    int accounts = m.persona == kBotFarm ? std::min(o_.bot_group, o_.users - i) : 1;
    if (m.persona == kBotFarm) m.group = groups++;
    for (int k = 0; k < accounts; ++k, ++i) {
      m.seed = r();
      int team = static_cast<int>(r() % uint64_t(teams));
      if (m.persona == kResearcher && r() % 2 == 0)
        team = 0;  // half the researchers form one analyst team
      m.outcomes = team_outcomes[size_t(team)];
      m.tz_min = m.persona == kNightOwl ? 60 * static_cast<int>(r() % 18) - 8 * 60 : 0;
      members_.push_back(m);
      users_.push_back({fmt::format("c{:05d}", i), fmt::format("cteam-{:03d}", team),
                        kNames[m.persona], Farming(m.persona), false});
    }
  }
}

// long: the persona table, one case of a few lines per persona, read as one
// list of who does what; each case draws from the user's generator in order.
void CorpusOrg::GenerateDay(int d, std::vector<model::Event>* out) const {
  size_t first = out->size();
  for (size_t i = 0; i < users_.size(); ++i) {
    const Member& m = members_[i];
    DayGen g{users_[i],  corpus_,
             m.outcomes, std::mt19937_64(m.seed ^ (uint64_t(d) * 0xD1B54A32D192ED03ull)),
             out,        d};
    TimeMs local0 = o_.start + TimeMs(d) * kDayMs - TimeMs(m.tz_min) * kMinuteMs;
    bool weekend = d % 7 >= 5;
    std::mt19937_64 fixed(m.seed);  // per user, the same every day
    const std::vector<std::string>* all_log_lines = &log_lines_;
    switch (m.persona) {
      case kEngineer:
      case kNightOwl:
        if (weekend && g.B(0.8)) break;
        g.Work(local0, m.persona == kNightOwl ? g.U(17, 21) : g.U(8, 10), g.U(6, 9), 4, 500, 0.2,
               [&] {
                 if (g.B(0.35)) return std::string(kFollowUps[g.rng() % 9]);
                 return "What does this do, and is it safe to change?\n" +
                        g.Excerpt(g.B(0.6) ? "header" : "man", g.I(3, 14));
               });
        break;
      case kResearcher: {
        if (weekend) break;
        std::string instruction = kInstructions[fixed() % 4];
        g.Work(local0, g.U(8.5, 10), g.U(6, 8), 9, 900, 0, [&] {
          if (g.B(0.25)) return std::string(kFollowUps[g.rng() % 9]);
          const char* kinds[] = {"copyright", "header", "man", "changelog"};
          return instruction + g.Doc(kinds[g.rng() % 4]);
        });
        break;
      }
      case kLogPaster: {
        if (weekend && g.B(0.8)) break;
        std::string last_log;
        g.Work(local0, g.U(8, 10), g.U(6, 9), 5, 500, 0.15, [&] {
          if (g.B(0.3)) return std::string(kFollowUps[g.rng() % 9]);
          if (g.B(0.4)) return "What does this do?\n" + g.Excerpt("header", g.I(3, 12));
          if (!last_log.empty() && g.B(0.25)) {  // re-run: the same log with some lines changed
            std::vector<std::string> lines = SplitLines(last_log);
            for (int k = g.I(2, 8); k > 0; --k) lines[g.rng() % lines.size()] = g.Excerpt("log", 1);
            last_log.clear();
            for (const auto& l : lines) last_log += l + "\n";
          } else {  // a window of the whole log, at any offset
            const auto& lines = *all_log_lines;
            size_t len = size_t(g.I(20, 60)), from = g.rng() % (lines.size() - len);
            last_log.clear();
            for (size_t k = from; k < from + len; ++k) last_log += lines[k] + "\n";
          }
          return "CI failed again, why?\n" + last_log;
        });
        break;
      }
      case kReviewer:
        if (weekend) break;
        g.Work(local0, g.U(9, 11), g.U(5, 7), 7, 700, 0.05, [&] {
          if (g.B(0.3)) return std::string(kFollowUps[g.rng() % 9]);
          return "Review this change log entry and tell me what to test:\n" +
                 g.Excerpt("changelog", g.I(8, 30));
        });
        break;
      case kTimerLoop: {
        std::string prompt =
            fixed() % 2 ? "continue with the next item on the list" : "Keep going.";
        double period = 60 + double(fixed() % 120);
        TimeMs t = local0 + static_cast<TimeMs>(g.U(0, 3) * kHourMs),
               end = t + static_cast<TimeMs>(g.U(18, 21) * kHourMs);
        for (; t < end; t += static_cast<TimeMs>(period * g.U(0.7, 1.3) * kSecondMs))
          g.Request(t, "loop", prompt, g.LogN(300, 0.3), g.LogN(20000, 0.2));
        break;
      }
      case kRepeatVaried: {
        // One long prompt per farmer (fixed across days), a few words changed each time.
        std::string base = std::string(kInstructions[fixed() % 4]) +
                           corpus_.at("man")[fixed() % corpus_.at("man").size()];
        g.Work(local0, g.U(8, 11), g.U(9, 13), 1.5, 600, 0, [&] {
          std::string t = base;
          for (int k = g.I(2, 4); k > 0; --k) {
            size_t at = t.find(' ', g.rng() % t.size());
            if (at != std::string::npos) t.insert(at + 1, fmt::format("v{} ", g.rng() % 1000));
          }
          return t;
        });
        break;
      }
      case kOutputFarm: {
        TimeMs t = local0 + static_cast<TimeMs>(g.U(8, 12) * kHourMs),
               end = t + static_cast<TimeMs>(g.U(6, 10) * kHourMs);
        for (int s = 0; t < end; t += static_cast<TimeMs>(g.LogN(4, 0.8) * kMinuteMs), ++s) {
          std::string topic = g.Excerpt("man", 1);
          g.Request(
              t, fmt::format("essay-{}", s / 20),
              "Write a detailed essay of at least 5000 words about the following topic: " + topic,
              g.LogN(12000, 0.3), 0);
        }
        break;
      }
      case kParallelSessions: {
        int sessions = 24 + static_cast<int>(fixed() % 40);
        TimeMs from = local0 + static_cast<TimeMs>(g.U(7, 11) * kHourMs),
               to = from + static_cast<TimeMs>(g.U(6, 10) * kHourMs);
        for (int s = 0; s < sessions; ++s)
          for (TimeMs t = from + static_cast<TimeMs>(g.U(0, 600) * kSecondMs); t < to;
               t += static_cast<TimeMs>(g.LogN(120, 0.6) * kSecondMs))
            g.Request(t, fmt::format("fleet-{}", s),
                      g.B(0.5) ? std::string(kFollowUps[g.rng() % 9]) : "", g.LogN(500, 0.6),
                      g.LogN(30000, 0.3));
        break;
      }
      case kBotFarm: {
        // The group shares a template and a schedule (both drawn from the
        // group's seed, so every account of it draws the same).
        std::mt19937_64 grp(o_.seed * 1000003 + uint64_t(m.group) * 7919 + uint64_t(d));
        std::mt19937_64 tmpl(o_.seed * 31 + uint64_t(m.group));
        const auto& heads = corpus_.at("header");
        std::string templ = "Rewrite this in the style of a tutorial:\n" +
                            heads[tmpl() % heads.size()].substr(0, 600);
        TimeMs t = local0 + static_cast<TimeMs>((8 + double(grp() % 300) / 100) * kHourMs);
        TimeMs end = t + static_cast<TimeMs>((10 + double(grp() % 400) / 100) * kHourMs);
        for (int k = 0; t < end;
             t += static_cast<TimeMs>((180 + double(grp() % 180)) * kSecondMs), ++k)
          g.Request(t + static_cast<TimeMs>(g.U(0, 20) * kSecondMs), fmt::format("bot-{}", k / 30),
                    templ + fmt::format("\nVariant {}.", g.rng() % 100), g.LogN(800, 0.4), 0);
        break;
      }
      default:
        break;
    }
  }
  std::sort(out->begin() + static_cast<std::ptrdiff_t>(first), out->end(),
            [](const model::Event& a, const model::Event& b) { return a.ts < b.ts; });
}

}  // namespace burnrate::sim
