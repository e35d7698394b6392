// Generation is by (user, hour): each pair gets its own random stream seeded
// from (seed, user, hour), so any time range can be generated on its own and
// the same range always yields the same events (the --live mode and the
// replay benchmark rely on this).
#include "sim/simulator.h"

#include <cmath>
#include <random>

#include "common/hash.h"
#include "common/json_writer.h"
#include "common/time_util.h"

namespace burnrate::sim {
namespace {

constexpr const char* kModels[] = {"claude-sonnet-4-5", "claude-opus-4-5",
                                   "claude-haiku-4-5",  "gpt-5",
                                   "gpt-5-mini",        "gemini-2.5-pro"};
constexpr double kModelWeights[] = {0.55, 0.12, 0.13, 0.1, 0.05, 0.05};
constexpr const char* kOrgs[] = {"platform", "product", "research"};
constexpr const char* kProjects[] = {"checkout",    "search",  "infra", "mobile",
                                     "ml-pipeline", "billing", "docs"};

uint64_t Mix(uint64_t a, uint64_t b) {
  return Hash64(std::string_view(reinterpret_cast<char*>(&b), 8), a);
}

}  // namespace

Simulator::Simulator(SimOptions opts) : opts_(opts) {
  if (opts_.end == 0) opts_.end = SystemClock::Get().NowMs();
  std::mt19937_64 rng(opts_.seed);
  std::lognormal_distribution<double> heavy(0.0, 1.0);
  std::uniform_int_distribution<int> team_size(5, 15);
  int team = 0, left = 0;
  for (int i = 0; i < opts_.users; ++i) {
    if (left == 0) {
      ++team;
      left = team_size(rng);
    }
    --left;
    SimUser u;
    u.id = "user" + std::to_string(i + 1) + "@example.com";
    u.team = "team-" + std::to_string(team);
    u.org = kOrgs[team % 3];
    u.heaviness = std::min(heavy(rng), 25.0);
    // Most work in one zone; some teams elsewhere.
    u.tz_offset_hours = (team % 7 == 0) ? 8 : (team % 5 == 0) ? -5 : 1;
    users_.push_back(std::move(u));
  }
}

void Simulator::GenerateHour(const SimUser& u, size_t index, TimeMs hour,
                             const std::function<void(model::Event&&)>& emit) const {
  std::mt19937_64 rng(Mix(Mix(opts_.seed, index), uint64_t(hour)));
  TimeMs local = hour + u.tz_offset_hours * kHourMs;
  int local_hour = int(FloorDiv(local, kHourMs) % 24);
  int weekday = int((FloorDiv(local, kDayMs) + 3) % 7);  // 0 = Monday
  double activity = (local_hour >= 9 && local_hour < 18)   ? 1.0
                    : (local_hour >= 7 && local_hour < 21) ? 0.25
                                                           : 0.02;
  if (weekday >= 5) activity *= 0.1;
  std::uniform_real_distribution<double> unit(0, 1);
  if (unit(rng) > activity * 0.85) return;
  std::poisson_distribution<int> nreq(std::max(0.5, 12 * u.heaviness * opts_.intensity));
  int n = nreq(rng);
  std::discrete_distribution<int> model(std::begin(kModelWeights), std::end(kModelWeights));
  std::lognormal_distribution<double> ctx(10.5, 0.8), fresh(6.0, 1.2), out(6.5, 1.0);
  std::string session =
      "s-" + std::to_string(Mix(index, uint64_t(FloorDiv(hour, 3 * kHourMs))) % 1000000);
  const char* project = kProjects[Mix(index, 7) % std::size(kProjects)];
  // An event of this user's hour; `suffix` ends its id. The time is drawn
  // first, as before, so the random sequence is unchanged.
  auto base = [&](const std::string& suffix) {
    model::Event e;
    e.ts = hour + TimeMs(unit(rng) * kHourMs);
    e.id = "sim-" + std::to_string(opts_.seed) + "-" + std::to_string(index) + "-" +
           std::to_string(hour / kHourMs) + "-" + suffix;
    e.user = u.id;
    e.team = u.team;
    e.org = u.org;
    e.project = project;
    e.source = "sim";
    e.session = session;
    return e;
  };
  for (int i = 0; i < n; ++i) {
    model::Event e = base(std::to_string(i));
    e.client = "ws-" + std::to_string(index);
    e.model = kModels[model(rng)];
    bool cached = e.model.rfind("claude", 0) == 0;
    e.tokens.input = int64_t(fresh(rng));
    e.tokens.output = int64_t(out(rng));
    e.tokens.cache_read = cached ? int64_t(ctx(rng)) : 0;
    e.tokens.cache_write = cached ? int64_t(fresh(rng) * 2) : 0;
    emit(std::move(e));
  }
  // Outcomes follow work: roughly one commit per 25 requests.
  std::poisson_distribution<int> commits(n / 25.0), edits(n / 4.0);
  auto outcome = [&](const char* kind, double value, int k) {
    model::Event e = base(kind + std::to_string(k));
    e.type = model::EventType::kOutcome;
    e.outcome_kind = kind;
    e.outcome_value = value;
    emit(std::move(e));
  };
  int c = commits(rng);
  for (int k = 0; k < c; ++k) outcome("commit", 1, k);
  if (c > 0 && unit(rng) < 0.3) outcome("pull_request", 1, 0);
  int ed = edits(rng);
  if (ed > 0) outcome("edit_accepted", ed, 0);
}

void Simulator::Generate(TimeMs from, TimeMs to,
                         const std::function<void(model::Event&&)>& emit) const {
  for (TimeMs hour = FloorDiv(from, kHourMs) * kHourMs; hour < to; hour += kHourMs) {
    for (size_t i = 0; i < users_.size(); ++i) {
      GenerateHour(users_[i], i, hour, [&](model::Event&& e) {
        if (e.ts >= from && e.ts < to) emit(std::move(e));
      });
    }
  }
}

void Simulator::GenerateAll(const std::function<void(model::Event&&)>& emit) const {
  Generate(opts_.end - opts_.days * kDayMs, opts_.end, emit);
}

std::string Simulator::ToNdjson(const model::Event& e, std::string_view prompt_text) {
  JsonWriter w;
  w.BeginObject();
  model::WriteEventFields(w, e, /*stored=*/false);
  if (!prompt_text.empty())
    w.Key("prompt").BeginObject().Key("text").String(prompt_text).EndObject();
  w.EndObject();
  return w.Take();
}

}  // namespace burnrate::sim
