// Evaluating one badge rule.
//
// Every rule is the same pipeline: candidates with a value (from a board,
// from session runs or from streaks), then the volume floor and the
// flagged-waste disqualification, then a ranking by value (ties by id), then
// the rule's conditions: value >= threshold, rank <= top_n, rank within the
// top percent (at least the first place: "top 1%" of 50 users is the
// winner). Ranks are among the qualified candidates, so a disqualified
// farmer does not push an honest user out of the top N.
//
// The period names the instance of an award, so that re-evaluating every
// 30 seconds updates one row instead of piling up new ones:
//  - calendar windows (day, week, month): the local start date of the
//    period ("2026-03-23" for that ISO week);
//  - rolling windows and all time: the local date of the evaluation, so a
//    rolling badge held for a week shows as seven daily awards;
//  - streaks: the local date the streak began (one award per streak, its
//    value grows with the streak);
//  - sessions: the session id and the start of its run.
#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "badges/badges.h"
#include "common/json_writer.h"
#include "common/time_util.h"

namespace burnrate::badges {
namespace {

struct Candidate {
  std::string id;
  double value = 0;
  int64_t volume = 0;  // tokens in the window
  int64_t wasted = 0;
  std::string period;
  std::string extra;  // extra evidence, already JSON key/values
};

double BoardValue(RuleMetric m, const engine::BoardEntry& e) {
  switch (m) {
    case RuleMetric::kTokens:
      return double(e.c.Total());
    case RuleMetric::kCost:
      return double(e.c.cost_nanos) / 1e9;
    case RuleMetric::kRequests:
      return double(e.c.requests);
    case RuleMetric::kValue:
      return e.c.value;
    case RuleMetric::kEfficiency:
      return e.efficiency;
    case RuleMetric::kHonest:
      return double(e.c.Total() - e.wasted_tokens);
    case RuleMetric::kEditAcceptance:
      return 100.0 * e.c.EditAcceptance();
    default:
      return 0;
  }
}

std::vector<Candidate> Candidates(const BadgeRule& r, engine::Engine& eng, TimeMs now,
                                  BoardCache& boards) {
  auto WholeBoard = [&](engine::Engine& en, engine::Entity e, engine::Window w,
                        engine::Metric m) -> const engine::Board& {
    return boards.Get(en, e, w, m);
  };
  const TimeZone& tz = eng.options().tz;
  engine::Window w = r.metric == RuleMetric::kStreakDays ? engine::Window::k30d : r.window;
  bool calendar =
      w == engine::Window::kDay || w == engine::Window::kWeek || w == engine::Window::kMonth;
  engine::TimeRange range = engine::WindowRange(w, now, tz);
  std::string period = tz.FormatLocalDate(calendar ? range.from : now);
  // Volume and waste per subject come from the tokens board of the window.
  const engine::Board& volume = WholeBoard(eng, r.entity, w, engine::Metric::kTokens);
  const auto& by_id = boards.Index(eng, r.entity, w, engine::Metric::kTokens);
  auto base = [&](const std::string& id, double value) {
    Candidate c{id, value, 0, 0, period, ""};
    if (auto it = by_id.find(id); it != by_id.end())
      c.volume = it->second->c.Total(), c.wasted = it->second->wasted_tokens;
    return c;
  };
  std::vector<Candidate> out;
  if (r.metric == RuleMetric::kSessionHours) {
    for (const auto& s : eng.LongestSessions(range)) {
      Candidate c = base(s.user, double(s.Span()) / double(kHourMs));
      c.period = s.session + "@" + FormatRfc3339(s.start);
      JsonWriter x;
      x.BeginObject().Key("session").String(s.session).Key("start").String(FormatRfc3339(s.start));
      x.Key("end").String(FormatRfc3339(s.end)).EndObject();
      c.extra = x.Take();
      out.push_back(std::move(c));
    }
  } else if (r.metric == RuleMetric::kStreakDays) {
    for (const auto& s : eng.Streaks()) {
      Candidate c = base(s.user, s.days);
      c.period = tz.FormatLocalDate(s.first_day);
      JsonWriter x;
      x.BeginObject().Key("first_day").String(tz.FormatLocalDate(s.first_day));
      x.Key("last_day").String(tz.FormatLocalDate(s.last_day)).EndObject();
      c.extra = x.Take();
      out.push_back(std::move(c));
    }
  } else if (r.metric == RuleMetric::kEditAcceptance) {
    for (const auto& e : volume.entries)
      if (e.c.edits_accepted + e.c.edits_rejected > 0)
        out.push_back(base(e.id, BoardValue(r.metric, e)));
  } else {
    const engine::Board& b = WholeBoard(eng, r.entity, w, engine::Metric(int(r.metric)));
    for (const auto& e : b.entries) out.push_back(base(e.id, BoardValue(r.metric, e)));
  }
  return out;
}

std::string Evidence(const BadgeRule& r, const Candidate& c, int64_t rank, int64_t of, TimeMs now,
                     const TimeZone& tz) {
  JsonWriter w;
  w.BeginObject().Key("metric").String(RuleMetricName(r.metric)).Key("value").Double(c.value);
  w.Key("rank").Int(rank).Key("of").Int(of).Key("tokens").Int(c.volume);
  w.Key("window").String(engine::WindowName(r.window));
  if (r.window != engine::Window::kAll && r.metric != RuleMetric::kStreakDays) {
    engine::TimeRange range = engine::WindowRange(r.window, now, tz);
    w.Key("from").String(FormatRfc3339(range.from)).Key("to").String(FormatRfc3339(range.to));
  }
  if (!c.extra.empty()) w.Key("detail").Raw(c.extra);
  w.Key("evaluated_at").String(FormatRfc3339(now));
  w.EndObject();
  return w.Take();
}

}  // namespace

BoardCache::Cached& BoardCache::Fetch(engine::Engine& eng, engine::Entity e, engine::Window w,
                                      engine::Metric m) {
  auto key = std::make_tuple(int(e), int(w), int(m));
  auto it = boards_.find(key);
  if (it != boards_.end()) return it->second;
  engine::BoardQuery q;
  q.entity = e, q.window = w, q.metric = m, q.limit = SIZE_MAX;
  q.background = true;  // evaluated every 30 s: the ticker need not keep these boards fresh
  auto b = eng.Leaderboard(q);
  Cached& c = boards_[key];
  if (b.ok()) c.board = std::move(*b);
  return c;
}

const engine::Board& BoardCache::Get(engine::Engine& eng, engine::Entity e, engine::Window w,
                                     engine::Metric m) {
  return Fetch(eng, e, w, m).board;
}

const std::unordered_map<std::string_view, const engine::BoardEntry*>& BoardCache::Index(
    engine::Engine& eng, engine::Entity e, engine::Window w, engine::Metric m) {
  Cached& c = Fetch(eng, e, w, m);
  if (!c.indexed) {
    c.index.reserve(c.board.entries.size());
    for (const auto& row : c.board.entries) c.index.emplace(row.id, &row);
    c.indexed = true;
  }
  return c.index;
}

std::vector<Award> EvaluateRule(const BadgeRule& r, engine::Engine& eng, TimeMs now,
                                BoardCache* cache) {
  BoardCache local;
  std::vector<Candidate> cands = Candidates(r, eng, now, cache ? *cache : local);
  std::erase_if(cands, [&](const Candidate& c) {
    return c.value <= 0 || c.volume < r.min_volume || (r.disqualify_flagged && c.wasted > 0);
  });
  std::sort(cands.begin(), cands.end(), [](const Candidate& a, const Candidate& b) {
    return a.value != b.value ? a.value > b.value : a.id < b.id;
  });
  int64_t n = int64_t(cands.size());
  int64_t pct_cut = r.top_percent > 0
                        ? std::max<int64_t>(1, int64_t(std::floor(double(n) * r.top_percent / 100)))
                        : 0;
  std::vector<Award> out;
  for (int64_t i = 0; i < n; ++i) {
    const Candidate& c = cands[size_t(i)];
    int64_t rank = i + 1;
    if (r.top_n > 0 && rank > r.top_n) break;
    if (pct_cut > 0 && rank > pct_cut) break;
    if (r.threshold > 0 && c.value < r.threshold) continue;
    Award a;
    a.badge = r.id;
    a.entity = engine::EntityName(r.entity);
    a.subject = c.id;
    a.period = c.period;
    a.awarded_at = a.updated_at = now;
    a.value = c.value;
    a.evidence = Evidence(r, c, rank, n, now, eng.options().tz);
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace burnrate::badges
