#include <gtest/gtest.h>

#include <map>

#include "common/time_util.h"
#include "engine/engine.h"

namespace burnrate::engine {
namespace {

TimeMs T(const char* rfc3339) { return ParseRfc3339(rfc3339).value(); }

model::Event Usage(const std::string& user, TimeMs ts, int64_t tokens,
                   const std::string& session = "", const std::string& team = "t1") {
  model::Event e;
  e.id = user + std::to_string(ts) + session;
  e.user = user, e.team = team, e.org = "o", e.model = "m", e.session = session;
  e.ts = ts;
  e.tokens.input = tokens;
  e.cost_nanos = 0;
  return e;
}

model::Event Outcome(const std::string& user, TimeMs ts, const std::string& kind, double v,
                     const std::string& team = "t1") {
  model::Event e = Usage(user, ts, 0, "", team);
  e.type = model::EventType::kOutcome;
  e.outcome_kind = kind;
  e.outcome_value = v;
  e.id += kind;
  return e;
}

TEST(EngineSessions, RunsSplitOnGapsLongerThanThirtyMinutes) {
  FakeClock clock(T("2026-03-10T12:00:00Z"));
  Engine eng({}, clock);
  std::vector<model::Event> ev;
  // s1: 09:00 .. 11:45 in steps of 25 minutes (one run of 2h45m minus rounding)
  for (TimeMs t = T("2026-03-10T09:00:00Z"); t <= T("2026-03-10T11:45:00Z"); t += 25 * kMinuteMs)
    ev.push_back(Usage("ana", t, 10, "s1"));
  // s2: two bursts an hour apart: two runs of 10 minutes each.
  ev.push_back(Usage("bo", T("2026-03-10T08:00:00Z"), 1, "s2"));
  ev.push_back(Usage("bo", T("2026-03-10T08:10:00Z"), 1, "s2"));
  ev.push_back(Usage("bo", T("2026-03-10T09:11:00Z"), 1, "s2"));
  ev.push_back(Usage("bo", T("2026-03-10T09:21:00Z"), 1, "s2"));
  eng.Apply(ev);
  auto spans = eng.LongestSessions({T("2026-03-10T00:00:00Z"), T("2026-03-11T00:00:00Z")});
  ASSERT_EQ(spans.size(), 2u);
  std::sort(spans.begin(), spans.end(), [](auto& a, auto& b) { return a.user < b.user; });
  EXPECT_EQ(spans[0].user, "ana");
  EXPECT_EQ(spans[0].session, "s1");
  EXPECT_EQ(spans[0].Span(), 150 * kMinuteMs);  // 09:00 .. 11:30, the last step at 11:30
  EXPECT_EQ(spans[1].Span(), 10 * kMinuteMs);
  // Idle sessions are closed on the hour and stay findable.
  clock.Set(T("2026-03-10T14:00:00Z"));
  eng.Apply(std::vector<model::Event>{Usage("cy", T("2026-03-10T14:00:00Z"), 1)});
  auto later = eng.LongestSessions({T("2026-03-10T00:00:00Z"), T("2026-03-11T00:00:00Z")});
  EXPECT_EQ(later.size(), 2u);
  auto p = eng.GetProfile(Entity::kUser, "bo");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->sessions, 1);
  ASSERT_EQ(p->longest_sessions.size(), 2u);
  // Ranges select runs by their end.
  EXPECT_TRUE(eng.LongestSessions({T("2026-03-11T00:00:00Z"), T("2026-03-12T00:00:00Z")}).empty());
}

// The engine remembers each user's last session to skip a lookup; runs of
// interleaved sessions and a session reopened after its entry was closed
// must come out as without that shortcut.
TEST(EngineSessions, InterleavedAndReopenedSessions) {
  FakeClock clock(T("2026-03-10T12:00:00Z"));
  Engine eng({}, clock);
  std::vector<model::Event> ev;
  for (int i = 0; i < 6; ++i) {  // s1 and s2 alternate every 5 minutes from 10:00
    TimeMs t = T("2026-03-10T10:00:00Z") + i * 5 * kMinuteMs;
    ev.push_back(Usage("di", t, 1, i % 2 ? "s2" : "s1"));
  }
  eng.Apply(ev);
  auto p = eng.GetProfile(Entity::kUser, "di");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->sessions, 2);
  // 14:00: both are idle and closed (entries erased); s2 comes back.
  clock.Set(T("2026-03-10T14:00:00Z"));
  eng.Apply(std::vector<model::Event>{Usage("ed", T("2026-03-10T14:00:00Z"), 1)});
  eng.Apply(std::vector<model::Event>{Usage("di", T("2026-03-10T14:05:00Z"), 1, "s2"),
                                      Usage("di", T("2026-03-10T14:25:00Z"), 1, "s2"),
                                      Usage("di", T("2026-03-10T14:45:00Z"), 1, "s2")});
  p = eng.GetProfile(Entity::kUser, "di");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->sessions, 3);  // s1, s2, and s2 reopened
  auto spans = eng.LongestSessions({T("2026-03-10T00:00:00Z"), T("2026-03-11T00:00:00Z")});
  auto di =
      std::find_if(spans.begin(), spans.end(), [](const SessionSpan& r) { return r.user == "di"; });
  ASSERT_NE(di, spans.end());
  EXPECT_EQ(di->session, "s2");
  EXPECT_EQ(di->start, T("2026-03-10T14:05:00Z"));
  EXPECT_EQ(di->Span(), 40 * kMinuteMs);
  ASSERT_EQ(p->longest_sessions.size(), 3u);  // the open run and the two closed ones
  EXPECT_EQ(p->longest_sessions[0].Span(), 40 * kMinuteMs);
  EXPECT_EQ(p->longest_sessions[1].Span(), 20 * kMinuteMs);
}

TEST(EngineStreaks, CountsConsecutiveLocalDaysAcrossDst) {
  // Europe/Berlin switches to summer time on 2026-03-29 (a 23-hour day).
  EngineOptions o;
  o.tz = TimeZone::Load("Europe/Berlin").value();
  FakeClock clock(T("2026-03-30T10:00:00Z"));
  Engine eng(o, clock);
  std::vector<model::Event> ev;
  // 23:30 local on each day from the 26th to the 29th, and 08:00 on the 30th.
  ev.push_back(Usage("ana", T("2026-03-26T22:30:00Z"), 1));  // CET: 23:30 on the 26th
  ev.push_back(Usage("ana", T("2026-03-27T22:30:00Z"), 1));
  ev.push_back(Usage("ana", T("2026-03-28T22:30:00Z"), 1));  // 23:30 CET on the 28th
  ev.push_back(Usage("ana", T("2026-03-29T21:30:00Z"), 1));  // CEST: 23:30 on the 29th
  ev.push_back(Usage("ana", T("2026-03-30T06:00:00Z"), 1));  // 08:00 on the 30th
  // bo: active on the 28th (local) only; 00:30 local on the 29th is UTC the 28th.
  ev.push_back(Usage("bo", T("2026-03-28T23:30:00Z"), 1));  // 00:30 CET on the 29th
  // cy: yesterday only (the 29th) still counts as a current streak.
  ev.push_back(Usage("cy", T("2026-03-29T12:00:00Z"), 1));
  // dee: two days ago only: no current streak.
  ev.push_back(Usage("dee", T("2026-03-28T12:00:00Z"), 1));
  eng.Apply(ev);
  auto streaks = eng.Streaks();
  std::map<std::string, Streak> by;
  for (auto& s : streaks) by[s.user] = s;
  EXPECT_EQ(by["ana"].days, 5);
  EXPECT_EQ(by["ana"].first_day, T("2026-03-25T23:00:00Z"));  // local midnight of the 26th
  EXPECT_EQ(by["ana"].last_day, T("2026-03-29T22:00:00Z"));   // local midnight of the 30th (CEST)
  EXPECT_EQ(by["bo"].days, 1);                                // the 29th, local
  EXPECT_EQ(by["cy"].days, 1);
  EXPECT_EQ(by.count("dee"), 0u);
}

TEST(EngineEfficiency, ShrinksTowardsTheTeamRate) {
  EngineOptions o;
  o.efficiency_min_tokens = 1;
  o.efficiency_prior_mtokens = 1;
  FakeClock clock(T("2026-03-10T12:00:00Z"));
  Engine eng(o, clock);
  TimeMs t = T("2026-03-10T11:00:00Z");
  std::vector<model::Event> ev;
  // Team "hi": 10 commits (value 30) per million tokens; team "lo": none.
  ev.push_back(Usage("hi-big", t, 9'000'000, "", "hi"));
  ev.push_back(Outcome("hi-big", t, "commit", 90, "hi"));
  ev.push_back(Usage("hi-small", t, 100'000, "", "hi"));
  ev.push_back(Usage("lo-big", t, 9'000'000, "", "lo"));
  ev.push_back(Usage("lo-small", t, 100'000, "", "lo"));
  ev.push_back(Outcome("lo-small", t, "commit", 1, "lo"));  // one lucky commit: value 3
  eng.Apply(ev);
  auto eff = [&](const char* u) {
    return eng.Rank(Entity::kUser, Window::k24h, Metric::kEfficiency, u)->efficiency;
  };
  // lo-small's raw rate is 30/Mtok, but its team's is ~0.33: it lands near its team.
  EXPECT_LT(eff("lo-small"), 5.0);
  // hi-small has no outcomes yet lands near its productive team's rate.
  EXPECT_GT(eff("hi-small"), 20.0);
  EXPECT_NEAR(eff("hi-big"), 30.0 * 0.9 + 0.1 * 0, 3.0);
  auto rank = eng.Rank(Entity::kUser, Window::k24h, Metric::kEfficiency, "hi-big");
  EXPECT_EQ(rank->rank, 1);
}

TEST(EngineRanks, CountingAgreesWithTheSortedBoard) {
  FakeClock clock(T("2026-03-10T12:00:00Z"));
  EngineOptions o;
  o.efficiency_min_tokens = 1;
  Engine eng(o, clock);
  std::vector<model::Event> ev;
  for (int u = 0; u < 60; ++u) {
    std::string user = "u" + std::to_string(u);
    ev.push_back(Usage(user, T("2026-03-09T11:00:00Z"), (u * 37) % 11 * 1000, "",
                       u % 2 ? "a" : "b"));  // ties
    ev.push_back(
        Usage(user, T("2026-03-10T11:00:00Z"), (u * 53) % 17 * 1000 + 1, "", u % 2 ? "a" : "b"));
    if (u % 3 == 0)
      ev.push_back(
          Outcome(user, T("2026-03-10T11:00:00Z"), "commit", u % 5 + 1, u % 2 ? "a" : "b"));
  }
  eng.Apply(ev);
  const Metric ms[] = {Metric::kTokens, Metric::kValue, Metric::kEfficiency, Metric::kHonest};
  std::map<std::string, std::vector<BoardEntry>> counted;
  for (int u = 0; u < 60; ++u) {
    std::string user = "u" + std::to_string(u);
    counted[user] =
        eng.Ranks(Entity::kUser, Window::kDay, user, ms).value();  // no order yet: counting
  }
  for (size_t k = 0; k < 4; ++k) {
    BoardQuery q;
    q.window = Window::kDay, q.metric = ms[k], q.limit = 1000;
    auto b = eng.Leaderboard(q);
    ASSERT_TRUE(b.ok());
    for (const auto& row : b->entries) {
      SCOPED_TRACE(std::string(MetricName(ms[k])) + " " + row.id);
      EXPECT_EQ(counted[row.id][k].rank, row.rank);
      EXPECT_EQ(counted[row.id][k].prev_rank, row.prev_rank);
      EXPECT_DOUBLE_EQ(counted[row.id][k].percentile, row.percentile);
      EXPECT_EQ(eng.Rank(Entity::kUser, Window::kDay, ms[k], row.id)->rank,
                row.rank);  // ordered path
    }
  }
}

TEST(EngineCounters, EditDecisionsAndOutcomeKinds) {
  FakeClock clock(T("2026-03-10T12:00:00Z"));
  Engine eng({}, clock);
  TimeMs t = T("2026-03-10T11:00:00Z");
  eng.Apply(std::vector<model::Event>{Outcome("ana", t, "edit_accepted", 3),
                                      Outcome("ana", t, "edit_rejected", 1),
                                      Outcome("ana", t, "pull_request", 1)});
  auto p = eng.GetProfile(Entity::kUser, "ana");
  ASSERT_TRUE(p.ok());
  const Counters& c = p->windows[int(Window::kDay)];
  EXPECT_EQ(c.edits_accepted, 3);
  EXPECT_EQ(c.edits_rejected, 1);
  EXPECT_DOUBLE_EQ(c.EditAcceptance(), 0.75);
  EXPECT_EQ(p->outcomes.size(), 3u);
  auto team = eng.GetProfile(Entity::kTeam, "t1");
  ASSERT_TRUE(team.ok());
  EXPECT_EQ(team->members, std::vector<std::string>{"ana"});
  EXPECT_FALSE(eng.GetProfile(Entity::kUser, "nobody").ok());
}

}  // namespace
}  // namespace burnrate::engine
