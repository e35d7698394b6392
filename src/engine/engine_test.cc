// Contract tests for the engine's state (engine/engine.h): hourly buckets
// per entity, usage series, daily totals and pruning. Boards are in
// leaderboard_test.cc.
#include "engine/engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <span>

#include "engine/engine_state.h"

namespace burnrate::engine {
namespace {

TimeMs T(const char* s) { return *ParseRfc3339(s); }

model::Event Use(std::string id, std::string user, TimeMs ts, int64_t in, int64_t out,
                 std::string model = "claude-sonnet-4-5", std::string team = "platform") {
  model::Event e;
  e.id = std::move(id);
  e.user = std::move(user);
  e.team = std::move(team);
  e.org = "acme";
  e.project = "burnrate";
  e.model = std::move(model);
  e.ts = ts;
  e.received = ts;
  e.tokens.input = in;
  e.tokens.output = out;
  e.cost_nanos = (in + out) * 10;
  return e;
}

model::Event Outcome(std::string id, std::string user, TimeMs ts, std::string kind, double value) {
  model::Event e;
  e.type = model::EventType::kOutcome;
  e.id = std::move(id);
  e.user = std::move(user);
  e.team = "platform";
  e.org = "acme";
  e.ts = ts;
  e.outcome_kind = std::move(kind);
  e.outcome_value = value;
  return e;
}

EngineOptions Opts(const char* tz = "UTC") {
  EngineOptions o;
  o.tz = *TimeZone::Load(tz);
  o.board_refresh_ms = 0;
  return o;
}

TEST(Engine, ParseNames) {
  EXPECT_EQ(*ParseEntity("team"), Entity::kTeam);
  EXPECT_EQ(*ParseMetric("cost"), Metric::kCost);
  EXPECT_STREQ(EntityName(Entity::kModel), "model");
  EXPECT_STREQ(MetricName(Metric::kHonest), "honest");
  EXPECT_FALSE(ParseEntity("galaxy").ok());
  EXPECT_EQ(ParseMetric("vibes").status().message().rfind("metric", 0), 0u);
}

TEST(Engine, UsageSeriesHourlyAndDaily) {
  FakeClock clock(T("2026-03-21T14:30:00Z"));
  Engine eng(Opts(), clock);
  std::vector<model::Event> evs = {
      Use("1", "alice", T("2026-03-20T09:15:00Z"), 100, 10),
      Use("2", "alice", T("2026-03-20T09:45:00Z"), 200, 20),
      Use("3", "alice", T("2026-03-20T11:00:00Z"), 300, 30, "gpt-5"),
      Use("4", "alice", T("2026-03-21T08:00:00Z"), 400, 40),
      Use("5", "bob", T("2026-03-21T08:00:00Z"), 999, 9, "gpt-5", "web"),
  };
  eng.Apply(evs);
  EXPECT_EQ(eng.events_applied(), 5);
  EXPECT_EQ(eng.entity_count(Entity::kUser), 2u);
  EXPECT_EQ(eng.entity_count(Entity::kTeam), 2u);
  EXPECT_EQ(eng.entity_count(Entity::kModel), 2u);
  EXPECT_EQ(eng.entity_count(Entity::kProject), 1u);

  auto s = eng.Usage(Entity::kUser, "alice", {T("2026-03-20T00:00:00Z"), T("2026-03-22T00:00:00Z")},
                     Granularity::kHour);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->team, "platform");
  EXPECT_EQ(s->org, "acme");
  ASSERT_EQ(s->points.size(), 3u);
  EXPECT_EQ(s->points[0].t, T("2026-03-20T09:00:00Z"));
  EXPECT_EQ(s->points[0].c.input, 300);
  EXPECT_EQ(s->points[0].c.requests, 2);
  EXPECT_EQ(s->points[1].t, T("2026-03-20T11:00:00Z"));
  EXPECT_EQ(s->points[2].c.output, 40);
  EXPECT_EQ(s->totals.input, 1000);
  EXPECT_EQ(s->totals.output, 100);
  EXPECT_EQ(s->totals.requests, 4);
  EXPECT_EQ(s->totals.cost_nanos, 11000);
  ASSERT_EQ(s->by_model.size(), 2u);
  EXPECT_EQ(s->by_model[0].first, "claude-sonnet-4-5");  // largest first
  EXPECT_EQ(s->by_model[0].second.input, 700);

  auto d = eng.Usage(Entity::kUser, "alice", {T("2026-03-20T00:00:00Z"), T("2026-03-22T00:00:00Z")},
                     Granularity::kDay);
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->points.size(), 2u);
  EXPECT_EQ(d->points[0].t, T("2026-03-20T00:00:00Z"));
  EXPECT_EQ(d->points[0].c.input, 600);
  EXPECT_EQ(d->points[1].c.input, 400);

  // The range is [from, to): the 11:00 bucket is outside [09:00, 11:00).
  auto narrow =
      eng.Usage(Entity::kUser, "alice", {T("2026-03-20T09:00:00Z"), T("2026-03-20T11:00:00Z")},
                Granularity::kHour);
  EXPECT_EQ(narrow->totals.input, 300);

  // Other entities have series too.
  EXPECT_EQ(eng.Usage(Entity::kTeam, "web", {0, T("2027-01-01T00:00:00Z")}, Granularity::kHour)
                ->totals.input,
            999);
  EXPECT_EQ(eng.Usage(Entity::kModel, "gpt-5", {0, T("2027-01-01T00:00:00Z")}, Granularity::kHour)
                ->totals.input,
            1299);
  EXPECT_EQ(eng.Usage(Entity::kOrg, "acme", {0, T("2027-01-01T00:00:00Z")}, Granularity::kHour)
                ->totals.input,
            1999);
  EXPECT_EQ(
      eng.Usage(Entity::kProject, "burnrate", {0, T("2027-01-01T00:00:00Z")}, Granularity::kHour)
          ->totals.requests,
      5);

  auto missing = eng.Usage(Entity::kUser, "nobody", {0, 1}, Granularity::kHour);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
}

TEST(Engine, DailySeriesInLocalDays) {
  // In Berlin (UTC+1 in March before the 29th), 23:30 UTC is the next day.
  FakeClock clock(T("2026-03-21T12:00:00Z"));
  Engine eng(Opts("Europe/Berlin"), clock);
  std::vector<model::Event> evs = {Use("1", "alice", T("2026-03-19T22:30:00Z"), 100, 0),
                                   Use("2", "alice", T("2026-03-19T23:30:00Z"), 200, 0)};
  eng.Apply(evs);
  auto d = eng.Usage(Entity::kUser, "alice", {T("2026-03-18T00:00:00Z"), T("2026-03-22T00:00:00Z")},
                     Granularity::kDay);
  ASSERT_EQ(d->points.size(), 2u);
  EXPECT_EQ(d->points[0].t, T("2026-03-18T23:00:00Z"));  // local 19 March
  EXPECT_EQ(d->points[0].c.input, 100);
  EXPECT_EQ(d->points[1].t, T("2026-03-19T23:00:00Z"));  // local 20 March
  EXPECT_EQ(d->points[1].c.input, 200);

  auto days = eng.Daily(3);
  ASSERT_EQ(days.size(), 3u);
  EXPECT_EQ(days[0].day, T("2026-03-18T23:00:00Z"));
  EXPECT_EQ(days[2].day, T("2026-03-20T23:00:00Z"));  // today, local
  EXPECT_EQ(days[0].c.input, 100);
  EXPECT_EQ(days[1].c.input, 200);
  EXPECT_EQ(days[2].c.input, 0);
  EXPECT_EQ(days[0].active_users, 1);
  EXPECT_EQ(days[2].active_users, 0);
}

// The hourly buckets are most of the engine's memory: a vector that an
// hour at a time fills grows by a quarter, not by doubling, whether the
// hours come in order or late (inserted), and the buckets stay sorted.
TEST(Engine, BucketVectorsGrowByAQuarterNotDoubling) {
  EntityState in_order, late;
  Counters c;
  c.input = 1, c.requests = 1;
  size_t worst_slack = 0;
  for (int32_t h = 0; h < 2000; ++h) {
    in_order.Add(h, 0, c);
    late.Add(h % 2 == 0 ? h : 4000 - h, 0, c);  // every other hour goes before the newest
    for (const EntityState* e : {&in_order, &late}) {
      ASSERT_LE(e->hours.capacity(), BucketCapacityAfterGrowth(e->hours.size()));
      worst_slack = std::max(worst_slack, e->hours.capacity() - e->hours.size());
    }
  }
  EXPECT_EQ(in_order.hours.size(), 2000u);
  EXPECT_EQ(late.hours.size(), 2000u);
  EXPECT_LE(in_order.hours.capacity(), 2000u * 5 / 4 + 16);
  EXPECT_GE(worst_slack, 16u);  // it did grow ahead, not one bucket at a time
  EXPECT_TRUE(std::is_sorted(late.hours.begin(), late.hours.end(),
                             [](const Bucket& a, const Bucket& b) { return a.hour < b.hour; }));
  EXPECT_EQ(late.all.input, 2000);
}

TEST(Engine, LateEventsLandInTheirHour) {
  FakeClock clock(T("2026-03-21T14:30:00Z"));
  Engine eng(Opts(), clock);
  std::vector<model::Event> a = {Use("1", "alice", T("2026-03-21T12:10:00Z"), 1, 0)};
  std::vector<model::Event> b = {Use("2", "alice", T("2026-03-21T10:10:00Z"), 2, 0),
                                 Use("3", "alice", T("2026-03-21T12:20:00Z"), 4, 0),
                                 Use("4", "alice", T("2026-03-21T11:10:00Z"), 8, 0),
                                 Use("5", "alice", T("2026-03-21T10:50:00Z"), 16, 0)};
  eng.Apply(a);
  eng.Apply(b);
  auto s = eng.Usage(Entity::kUser, "alice", {0, T("2027-01-01T00:00:00Z")}, Granularity::kHour);
  ASSERT_EQ(s->points.size(), 3u);
  EXPECT_EQ(s->points[0].c.input, 18);
  EXPECT_EQ(s->points[1].c.input, 8);
  EXPECT_EQ(s->points[2].c.input, 5);
  EXPECT_EQ(s->totals.input, 31);
}

TEST(Engine, OutcomesAreWeightedValue) {
  FakeClock clock(T("2026-03-21T14:30:00Z"));
  Engine eng(Opts(), clock);
  std::vector<model::Event> evs = {
      Outcome("o1", "alice", T("2026-03-21T10:00:00Z"), "pull_request", 1),
      Outcome("o2", "alice", T("2026-03-21T10:00:00Z"), "commit", 2),
      Outcome("o3", "alice", T("2026-03-21T10:00:00Z"), "edit_rejected", 5),
      Outcome("o4", "alice", T("2026-03-21T10:00:00Z"), "custom_thing", 3)};
  eng.Apply(evs);
  auto s = eng.Usage(Entity::kUser, "alice", {0, T("2027-01-01T00:00:00Z")}, Granularity::kHour);
  EXPECT_EQ(s->totals.outcomes, 4);
  EXPECT_DOUBLE_EQ(s->totals.value, 10 * 1 + 3 * 2 + 0 * 5 + 1 * 3);
  EXPECT_EQ(s->totals.requests, 0);  // outcomes are not requests
  EXPECT_EQ(s->totals.Total(), 0);
  EXPECT_EQ(eng.entity_count(Entity::kModel), 0u);  // outcomes have no model
}

TEST(Engine, RollupsCountTheirRequestsAndOutcomes) {
  // A rollup (Store::Purge) stands for `requests` events.
  FakeClock clock(T("2026-03-21T14:30:00Z"));
  Engine eng(Opts(), clock);
  model::Event u = Use("", "alice", T("2026-03-20T00:00:00Z"), 500, 50);
  u.requests = 7;
  model::Event o = Outcome("", "alice", T("2026-03-20T00:00:00Z"), "commit", 6);
  o.requests = 3;  // three commit events summing to value 6
  std::vector<model::Event> evs = {u, o};
  eng.Apply(evs);
  auto s = eng.Usage(Entity::kUser, "alice", {0, T("2027-01-01T00:00:00Z")}, Granularity::kDay);
  EXPECT_EQ(s->totals.requests, 7);
  EXPECT_EQ(s->totals.input, 500);
  EXPECT_EQ(s->totals.outcomes, 3);
  EXPECT_DOUBLE_EQ(s->totals.value, 18);
}

TEST(Engine, PruneDropsOldHoursButAllTimeKeepsThem) {
  FakeClock clock(T("2026-03-21T14:30:00Z"));
  EngineOptions o = Opts();
  o.keep_hours = 48;
  Engine eng(o, clock);
  std::vector<model::Event> old = {Use("1", "alice", T("2026-03-10T10:00:00Z"), 100, 0)};
  std::vector<model::Event> recent = {Use("2", "alice", T("2026-03-21T10:00:00Z"), 1, 0)};
  eng.Apply(old);
  clock.Advance(kHourMs);  // the next Apply prunes
  eng.Apply(recent);
  auto s = eng.Usage(Entity::kUser, "alice", {0, T("2027-01-01T00:00:00Z")}, Granularity::kHour);
  EXPECT_EQ(s->totals.input, 1);  // the old hour is gone from the series
  BoardQuery q;
  q.window = Window::kAll;
  auto b = eng.Leaderboard(q);
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(b->entries.size(), 1u);
  EXPECT_EQ(b->entries[0].c.input, 101);  // but all-time still counts it
}

TEST(Engine, TopModelsAndVersion) {
  FakeClock clock(T("2026-03-21T14:30:00Z"));
  Engine eng(Opts(), clock);
  uint64_t v0 = eng.version();
  std::vector<model::Event> evs = {Use("1", "a", T("2026-03-21T10:00:00Z"), 10, 0, "m1"),
                                   Use("2", "a", T("2026-03-21T10:00:00Z"), 30, 0, "m2"),
                                   Use("3", "a", T("2026-03-21T10:00:00Z"), 20, 0, "m3")};
  eng.Apply(evs);
  EXPECT_GT(eng.version(), v0);
  uint64_t v1 = eng.version();
  eng.Apply({});
  EXPECT_EQ(eng.version(), v1);  // nothing applied, nothing changed
  auto top = eng.TopModels({T("2026-03-21T00:00:00Z"), T("2026-03-22T00:00:00Z")}, 2);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].first, "m2");
  EXPECT_EQ(top[1].first, "m3");
}

// Apply prefetches each user's state some events ahead (engine.cc,
// UserPrefetch) and interns users by a hash computed before the loop: one
// Apply of many interleaved users, new and known, repeated names in a row
// among them, must leave the same state as applying the events one by one
// (where no prefetch stage runs). A hash taken from the wrong event makes
// users twice (entity_count) or puts usage on the wrong user.
TEST(Engine, OneApplyOfManyUsersEqualsEventByEvent) {
  FakeClock clock(T("2026-03-21T14:30:00Z"));
  Engine batched(Opts(), clock), single(Opts(), clock);
  std::vector<model::Event> evs;
  uint64_t seed = 11;
  for (int i = 0; i < 6000; ++i) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    int u = int((seed >> 33) % (i < 3000 ? 1500 : 4000));  // new users keep arriving
    if (i % 10 == 3) u = int((seed >> 40) % 7);            // and a few heavy ones
    TimeMs ts = T("2026-03-21T00:00:00Z") + TimeMs(i) * 8000;
    model::Event e = Use(std::to_string(i), "u" + std::to_string(u), ts, int64_t(seed % 977), 3,
                         i % 3 ? "m1" : "m2", "t" + std::to_string(u % 40));
    e.session = "s" + std::to_string(u % 3);
    evs.push_back(e);
    if (i % 50 == 0) evs.push_back(evs.back());  // the same user twice in a row
  }
  batched.Apply(evs);
  for (const model::Event& e : evs) single.Apply(std::span(&e, 1));
  ASSERT_EQ(batched.entity_count(Entity::kUser), single.entity_count(Entity::kUser));
  TimeRange day{T("2026-03-21T00:00:00Z"), T("2026-03-22T00:00:00Z")};
  for (int u = 0; u < 4000; ++u) {
    auto a = batched.Usage(Entity::kUser, "u" + std::to_string(u), day, Granularity::kHour);
    auto b = single.Usage(Entity::kUser, "u" + std::to_string(u), day, Granularity::kHour);
    ASSERT_EQ(a.ok(), b.ok()) << u;
    if (!a.ok()) continue;
    ASSERT_EQ(a->totals.Total(), b->totals.Total()) << u;
    ASSERT_EQ(a->totals.requests, b->totals.requests) << u;
    ASSERT_EQ(a->points.size(), b->points.size()) << u;
    ASSERT_EQ(a->by_model.size(), b->by_model.size()) << u;
    EXPECT_EQ(a->team, b->team) << u;
  }
  auto runs = [](const std::vector<SessionSpan>& v) {
    std::map<std::string, std::pair<TimeMs, TimeMs>> m;
    for (const SessionSpan& s : v) m[s.user] = {s.start, s.end};
    return m;
  };
  EXPECT_EQ(runs(batched.LongestSessions(day)), runs(single.LongestSessions(day)));
}

}  // namespace
}  // namespace burnrate::engine

namespace burnrate::engine {
namespace {

// Pricing marks: usage priced from a family estimate (or not at all) marks
// the boards and usage that include it, and the engine keeps per-model
// totals of it for /metrics and GET /v1/prices.
TEST(Engine, PricingMarksFollowEstimatedAndUnpricedUsage) {
  FakeClock clock(T("2026-03-21T14:30:00Z"));
  Engine eng(Opts(), clock);
  model::Event est = Use("1", "alice", T("2026-03-21T09:00:00Z"), 1000, 100, "claude-opus-5-5");
  est.cost_basis = model::CostBasis::kEstimated;
  model::Event none = Use("2", "bob", T("2026-03-19T09:00:00Z"), 500, 0, "totally-unknown");
  none.cost_basis = model::CostBasis::kUnpriced, none.cost_nanos = 0;
  model::Event exact = Use("3", "carol", T("2026-03-21T10:00:00Z"), 10, 10);
  model::Event est2 = Use("4", "alice", T("2026-03-21T11:00:00Z"), 2000, 0, "claude-opus-5-5");
  est2.cost_basis = model::CostBasis::kEstimated;
  eng.Apply(std::vector<model::Event>{est, none, exact, est2});
  auto query = [](Entity e, Window w) {
    BoardQuery q;
    q.entity = e, q.window = w;
    return q;
  };

  auto board = eng.Leaderboard(query(Entity::kUser, Window::k24h));
  ASSERT_TRUE(board.ok());
  std::map<std::string, Counters> by_user;
  for (const auto& e : board->entries) by_user[e.id] = e.c;
  ASSERT_TRUE(by_user.count("alice") && by_user.count("carol"));
  EXPECT_TRUE(by_user["alice"].cost_estimated);
  EXPECT_FALSE(by_user["alice"].cost_unpriced);
  EXPECT_FALSE(by_user["carol"].cost_estimated);
  EXPECT_FALSE(by_user["bob"].cost_unpriced);  // two days ago: outside 24h
  auto week = eng.Leaderboard(query(Entity::kUser, Window::k7d));
  ASSERT_TRUE(week.ok());
  for (const auto& e : week->entries) {
    EXPECT_EQ(e.c.cost_unpriced, e.id == "bob") << e.id;
    EXPECT_EQ(e.c.cost_estimated, e.id == "alice") << e.id;
  }
  // A usage range before the estimated hours is not marked; one over them is.
  auto before =
      eng.Usage(Entity::kUser, "alice", {T("2026-03-20T00:00:00Z"), T("2026-03-21T08:00:00Z")},
                Granularity::kHour);
  ASSERT_TRUE(before.ok());
  EXPECT_FALSE(before->totals.cost_estimated);
  auto over = eng.Usage(Entity::kUser, "alice",
                        {T("2026-03-21T00:00:00Z"), T("2026-03-22T00:00:00Z")}, Granularity::kHour);
  ASSERT_TRUE(over.ok());
  EXPECT_TRUE(over->totals.cost_estimated);
  auto org = eng.Leaderboard(query(Entity::kOrg, Window::kAll));
  ASSERT_TRUE(org.ok());
  ASSERT_EQ(org->entries.size(), 1u);
  EXPECT_TRUE(org->entries[0].c.cost_estimated && org->entries[0].c.cost_unpriced);

  std::vector<UnpricedModel> seen = eng.UnpricedModels();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].model, "claude-opus-5-5");  // first seen first
  EXPECT_EQ(seen[0].estimated_tokens, 3100);
  EXPECT_EQ(seen[0].estimated_cost_nanos, est.cost_nanos + est2.cost_nanos);
  EXPECT_EQ(seen[0].unpriced_tokens, 0);
  EXPECT_EQ(seen[1].model, "totally-unknown");
  EXPECT_EQ(seen[1].unpriced_tokens, 500);
  EXPECT_EQ(seen[1].estimated_tokens, 0);
}

}  // namespace
}  // namespace burnrate::engine
