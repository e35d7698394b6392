// The engine end to end on hand-made events, and the review-queue routes on
// a real HTTP server on 127.0.0.1.
#include "detect/detection_engine.h"

#include <gtest/gtest.h>

#include "http/client.h"

namespace burnrate::detect {
namespace {

constexpr int64_t kDay = 20000;
constexpr TimeMs kDay0 = kDay * kDayMs;

model::Event Ev(const std::string& user, const std::string& team, TimeMs ts,
                const std::string& session) {
  model::Event e;
  e.user = user, e.team = team, e.ts = ts, e.received = ts, e.session = session,
  e.client = user + "-ws";
  e.tokens.input = 500, e.tokens.output = 300, e.tokens.cache_read = 30000;
  return e;
}

// Twelve ordinary developers with outcomes, one idle loop, one exempt batch job.
void Populate(DetectionEngine& engine) {
  for (int u = 0; u < 12; ++u) {
    std::string name = "dev" + std::to_string(u);
    TimeMs t = kDay0 + 9 * kHourMs + u * kMinuteMs;
    for (int i = 0; i < 60; ++i) {
      t += (i % 7 == 0 ? 20 : 1 + (i * 37 + u) % 5) * kMinuteMs;
      engine.Observe(Ev(name, "core", t, name + "-s" + std::to_string(i / 20)));
    }
    model::Event o = Ev(name, "core", t, name + "-s0");
    o.type = model::EventType::kOutcome, o.outcome_kind = "commit";
    for (int k = 0; k < 5; ++k) engine.Observe(o);
  }
  for (const char* bot : {"looper", "batch"})
    for (TimeMs t = kDay0; t < kDay0 + 22 * kHourMs; t += 45 * kSecondMs)
      engine.Observe(Ev(bot, "core", t, "loop"));
}

DetectConfig Config() {
  DetectConfig cfg;
  cfg.exempt.insert("batch");
  return cfg;
}

TEST(DetectionEngine, FlagsTheLoopNotTheDevelopersNorTheExemptJob) {
  FakeClock clock(kDay0 + kDayMs + kHourMs);
  DetectionEngine engine(Config(), clock);
  std::vector<std::pair<std::string, FlagEvent>> seen;
  engine.Subscribe([&](const Flag& f, FlagEvent e) { seen.emplace_back(f.user, e); });
  Populate(engine);
  auto flags = engine.ScoreDay(kDay);
  ASSERT_EQ(flags.size(), 1u);
  const Flag& f = flags[0];
  EXPECT_EQ(f.user, "looper");
  EXPECT_EQ(f.date, "2024-10-04");
  EXPECT_GE(f.score, 80);
  EXPECT_TRUE(f.high_confidence);
  EXPECT_EQ(f.wasted_tokens, f.tokens);
  ASSERT_FALSE(f.reasons.empty());
  bool idle = false;
  for (const auto& r : f.reasons) idle |= r.detector == "idle_loop";
  EXPECT_TRUE(idle);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].second, FlagEvent::kFlagged);
  EXPECT_EQ(engine.WastedTokens("looper", kDay), f.tokens);
  EXPECT_EQ(engine.WastedTokens("dev1", kDay), 0);
  EXPECT_EQ(engine.last_stats().users, 14u);

  // Dismissing removes the waste; re-scoring keeps the review and, with
  // nothing changed, tells no one.
  auto r = engine.Review(f.id, ReviewState::kDismissed, "approved load test", "admin1");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(engine.WastedTokens("looper", kDay), 0);
  engine.ScoreDay(kDay);
  EXPECT_EQ(engine.flags().Get(f.id)->state, ReviewState::kDismissed);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen.back().second, FlagEvent::kDismissed);
  EXPECT_FALSE(engine.Review("0000000000000000", ReviewState::kConfirmed, "", "x").ok());
}

// Outcomes reported late (say by CI) make the loop productive: its day no
// longer crosses the threshold.
void LateOutcomes(DetectionEngine& engine, const std::string& user, int n) {
  model::Event o = Ev(user, "core", kDay0 + 23 * kHourMs, "loop");
  o.type = model::EventType::kOutcome, o.outcome_kind = "commit";
  for (int k = 0; k < n; ++k) engine.Observe(o);
}

TEST(DetectionEngine, RescoringBelowTheThresholdRetractsAnOpenFlagOnce) {
  FakeClock clock(kDay0 + kDayMs + kHourMs);
  DetectionEngine engine(Config(), clock);
  std::vector<std::pair<Flag, FlagEvent>> seen;
  engine.Subscribe([&](const Flag& f, FlagEvent e) { seen.emplace_back(f, e); });
  Populate(engine);
  auto flags = engine.ScoreDay(kDay);
  ASSERT_EQ(flags.size(), 1u);
  EXPECT_GT(engine.WastedTokens("looper", kDay), 0);
  LateOutcomes(engine, "looper", 200);
  clock.Advance(kMinuteMs);
  EXPECT_TRUE(engine.ScoreDay(kDay).empty());
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].second, FlagEvent::kRetracted);
  auto f = engine.flags().Get(flags[0].id);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->state, ReviewState::kRetracted);
  EXPECT_FALSE(f->flagged);
  EXPECT_LT(f->score, Config().flag_score);
  EXPECT_NE(f->retraction.find("below the flag score"), std::string::npos) << f->retraction;
  EXPECT_EQ(f->retracted_at, clock.NowMs());
  EXPECT_EQ(engine.WastedTokens("looper", kDay), 0);
  EXPECT_EQ(engine.last_stats().retracted, 1u);
  // Scoring again changes nothing and tells no one.
  engine.ScoreDay(kDay);
  EXPECT_EQ(seen.size(), 2u);
  EXPECT_EQ(engine.last_stats().retracted, 0u);
}

// Hysteresis: an open flag is retracted only below flag_score -
// retract_margin. The looper re-scores 0 once its late commits arrive, so a
// margin of 50 (retract below 0) keeps the flag as it was, and a margin
// just under 50 (retract below 0.1) withdraws it.
TEST(DetectionEngine, AnOpenFlagStandsUntilItsScoreFallsBelowTheMargin) {
  for (double margin : {50.0, 49.9}) {
    FakeClock clock(kDay0 + kDayMs + kHourMs);
    DetectConfig cfg = Config();
    cfg.retract_margin = margin;
    DetectionEngine engine(cfg, clock);
    std::vector<FlagEvent> seen;
    engine.Subscribe([&](const Flag&, FlagEvent e) { seen.push_back(e); });
    Populate(engine);
    auto flags = engine.ScoreDay(kDay);
    ASSERT_EQ(flags.size(), 1u);
    LateOutcomes(engine, "looper", 200);
    clock.Advance(kMinuteMs);
    EXPECT_TRUE(engine.ScoreDay(kDay).empty());
    auto f = engine.flags().Get(flags[0].id);
    ASSERT_TRUE(f.has_value());
    if (margin == 50.0) {
      EXPECT_EQ(f->state, ReviewState::kOpen);
      EXPECT_TRUE(f->flagged);
      EXPECT_EQ(f->score, flags[0].score);  // the flag stands as it was
      EXPECT_EQ(seen, (std::vector<FlagEvent>{FlagEvent::kFlagged}));
      EXPECT_EQ(engine.last_stats().retracted, 0u);
    } else {
      EXPECT_EQ(f->state, ReviewState::kRetracted);
      EXPECT_EQ(f->score, 0);
      EXPECT_NE(f->retraction.find("less the margin"), std::string::npos) << f->retraction;
      EXPECT_EQ(seen, (std::vector<FlagEvent>{FlagEvent::kFlagged, FlagEvent::kRetracted}));
    }
  }
}

TEST(DetectionEngine, ReviewedFlagsAreNotRetracted) {
  FakeClock clock(kDay0 + kDayMs + kHourMs);
  DetectionEngine engine(Config(), clock);
  Populate(engine);
  for (TimeMs t = kDay0; t < kDay0 + 22 * kHourMs; t += 45 * kSecondMs)
    engine.Observe(Ev("looper2", "core", t, "loop"));
  auto flags = engine.ScoreDay(kDay);
  ASSERT_EQ(flags.size(), 2u);
  std::string confirmed = FlagId("looper", kDay), dismissed = FlagId("looper2", kDay);
  ASSERT_TRUE(
      engine.Review(confirmed, ReviewState::kConfirmed, "owner admitted it", "admin1").ok());
  ASSERT_TRUE(engine.Review(dismissed, ReviewState::kDismissed, "load test", "admin1").ok());
  std::vector<FlagEvent> seen;
  engine.Subscribe([&](const Flag&, FlagEvent e) { seen.push_back(e); });
  LateOutcomes(engine, "looper", 200);
  LateOutcomes(engine, "looper2", 200);
  EXPECT_TRUE(engine.ScoreDay(kDay).empty());
  EXPECT_TRUE(seen.empty());
  EXPECT_EQ(engine.flags().Get(confirmed)->state, ReviewState::kConfirmed);
  EXPECT_EQ(engine.flags().Get(confirmed)->note, "owner admitted it");
  EXPECT_EQ(engine.flags().Get(dismissed)->state, ReviewState::kDismissed);
  EXPECT_EQ(engine.WastedTokens("looper", kDay),
            flags[0].user == "looper" ? flags[0].wasted_tokens : flags[1].wasted_tokens);
}

TEST(DetectionEngine, UsersNotScoredAgainKeepTheirFlags) {
  FakeClock clock(kDay0 + kDayMs + kHourMs);
  DetectionEngine engine(Config(), clock);
  Populate(engine);
  ASSERT_EQ(engine.ScoreDay(kDay).size(), 1u);
  // The day before has no features: scoring it judges no one.
  Flag other = *engine.flags().Get(FlagId("looper", kDay));
  other.day = kDay - 1, other.id = FlagId("looper", kDay - 1);
  ASSERT_TRUE(engine.flags().Put(other).ok());
  engine.ScoreDay(kDay - 1);
  EXPECT_EQ(engine.flags().Get(other.id)->state, ReviewState::kOpen);
}

TEST(FlagRoutes, ListConfirmDismissOverHttp) {
  FakeClock clock(kDay0 + kDayMs + kHourMs);
  DetectionEngine engine(Config(), clock);
  Populate(engine);
  auto flags = engine.ScoreDay(kDay);
  ASSERT_EQ(flags.size(), 1u);
  std::vector<FlagEvent> events;
  engine.Subscribe([&](const Flag&, FlagEvent e) { events.push_back(e); });

  http::Router router;
  router.SetAuthenticator([](std::string_view key) -> Result<std::pair<http::Role, std::string>> {
    if (key == "admin-key") return std::make_pair(http::Role::kAdmin, std::string("root"));
    if (key == "viewer-key") return std::make_pair(http::Role::kViewer, std::string("eve"));
    return Status::Unauthenticated("unknown key");
  });
  engine.RegisterRoutes(router);
  http::ServerOptions so;
  so.port = 0;
  http::Server server(so, router);
  ASSERT_TRUE(server.Start().ok());
  auto client = http::Client::Create("http://127.0.0.1:" + std::to_string(server.port()));
  ASSERT_TRUE(client.ok());
  auto& c = **client;
  c.set_bearer("viewer-key");

  auto r = c.Send("GET", "/v1/flags?date=2024-10-04");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("\"user\":\"looper\""), std::string::npos);
  EXPECT_NE(r->body.find("\"detector\":\"idle_loop\""), std::string::npos);
  EXPECT_NE(r->body.find("\"wasted_tokens\""), std::string::npos);
  r = c.Send("GET", "/v1/flags?window=7d");
  EXPECT_NE(r->body.find("looper"), std::string::npos);
  r = c.Send("GET", "/v1/flags?date=2024-10-03");
  EXPECT_EQ(r->body, "{\"flags\":[]}");
  r = c.Send("GET", "/v1/flags?date=yesterday");
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("\"field\":\"date\""), std::string::npos);
  r = c.Send("GET", "/v1/flags?window=7w");
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("\"field\":\"window\""), std::string::npos);

  std::string path = "/v1/flags/" + flags[0].id;
  r = c.Send("POST", path + "/confirm", "{\"note\":\"no\"}");
  EXPECT_EQ(r->status, 403);  // viewers cannot review
  c.set_bearer("admin-key");
  r = c.Send("POST", path + "/confirm", "{\"note\": 5}");
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("\"field\":\"note\""), std::string::npos);
  r = c.Send("POST", path + "/confirm", "{\"note\":\"script confirmed with the owner\"}");
  ASSERT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("\"state\":\"confirmed\""), std::string::npos);
  EXPECT_NE(r->body.find("\"reviewer\":\"root\""), std::string::npos);
  EXPECT_EQ(engine.WastedTokens("looper", kDay), flags[0].tokens);
  r = c.Send("POST", path + "/dismiss", "");
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("\"state\":\"dismissed\""), std::string::npos);
  r = c.Send("POST", "/v1/flags/ffffffffffffffff/dismiss", "{}");
  EXPECT_EQ(r->status, 404);
  r = c.Send("GET", "/v1/flags?date=2024-10-04&state=confirmed");
  EXPECT_EQ(r->body, "{\"flags\":[]}");
  server.Stop();
  EXPECT_EQ(events, (std::vector<FlagEvent>{FlagEvent::kConfirmed, FlagEvent::kDismissed}));
}

TEST(ParseReviewNote, Cases) {
  EXPECT_EQ(ParseReviewNote("").value(), "");
  EXPECT_EQ(ParseReviewNote("{}").value(), "");
  EXPECT_EQ(ParseReviewNote("{\"note\":\"ok\"}").value(), "ok");
  EXPECT_FALSE(ParseReviewNote("[1]").ok());
  EXPECT_FALSE(ParseReviewNote("{\"note\":").ok());
  EXPECT_FALSE(ParseReviewNote("{\"note\":null}").ok());
}

}  // namespace
}  // namespace burnrate::detect

namespace burnrate::detect {
namespace {

// Restart: replaying only the events received since ReplayHorizon(now)
// gives the same features for every day the store keeps as replaying all of
// them, including late events (filed under an earlier day) and events whose
// client clock runs ahead, on both sides of local midnight.
void ExpectReplayMatchesFullHistory(const char* zone) {
  DetectConfig cfg = Config();
  auto tz = TimeZone::Load(zone);
  ASSERT_TRUE(tz.ok());
  cfg.tz = *tz;
  const TimeMs now = kDay0 + 6 * kDayMs + 10 * kHourMs;
  FakeClock clock(now);
  DetectionEngine all(cfg, clock), replayed(cfg, clock);
  const TimeMs horizon = replayed.ReplayHorizon(now);
  EXPECT_LT(horizon, now - (cfg.retain_days - 1) * kDayMs);
  EXPECT_GT(horizon, now - (cfg.retain_days + 1) * kDayMs);
  int64_t skipped = 0;
  // Six days of arrivals every 7 minutes, in arrival order.
  for (TimeMs received = kDay0; received <= now; received += 7 * kMinuteMs) {
    int64_t i = (received - kDay0) / (7 * kMinuteMs);
    model::Event e =
        Ev("u" + std::to_string(i % 5), "core", received, "s" + std::to_string(i / 20));
    if (i % 11 == 0) e.ts = received - 30 * kHourMs;    // late: an earlier day
    if (i % 13 == 0) e.ts = received + 50 * kMinuteMs;  // client clock ahead
    if (i % 17 == 0) e.ts = received - 3 * kDayMs;      // too late: left to a rescore of its day
    all.Observe(e);
    if (received >= horizon)
      replayed.Observe(e);
    else
      ++skipped;
  }
  EXPECT_GT(skipped, 0);
  for (int64_t day = all.DayOf(now) - cfg.retain_days + 1; day <= all.DayOf(now); ++day) {
    auto a = all.features().Collect(day), b = replayed.features().Collect(day);
    ASSERT_EQ(a.size(), b.size()) << zone << " day " << day;
    ASSERT_FALSE(a.empty());
    auto by_user = [](const UserDayFeatures& x, const UserDayFeatures& y) {
      return x.user < y.user;
    };
    std::sort(a.begin(), a.end(), by_user);
    std::sort(b.begin(), b.end(), by_user);
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].user, b[i].user);
      EXPECT_EQ(a[i].requests, b[i].requests) << zone << " " << a[i].user << " day " << day;
      EXPECT_EQ(a[i].tokens, b[i].tokens);
      EXPECT_EQ(a[i].sessions, b[i].sessions);
      EXPECT_EQ(a[i].hours_active, b[i].hours_active);
      EXPECT_EQ(a[i].gaps, b[i].gaps);
    }
  }
}

// An import of old days: the events arrive today with their own times. The
// live aggregates leave them alone (today is not inflated); the engine notes
// the days and, once no event has arrived for them for the settle time,
// scores them from the stored events.
TEST(DetectionEngine, ImportedOldDaysAreScoredOnceSettled) {
  const TimeMs now = kDay0 + 30 * kDayMs + 10 * kHourMs;
  FakeClock clock(now);
  DetectConfig cfg = Config();
  cfg.rescore_settle_seconds = 60;
  DetectionEngine engine(cfg, clock);
  std::vector<model::Event> stored;  // the "database"
  engine.SetEventScan(
      [&](TimeMs from, const std::function<Status(std::span<const model::Event>)>& fn) {
        std::vector<model::Event> batch;
        for (const auto& e : stored)
          if (e.received >= from) batch.push_back(e);
        return fn(batch);
      });
  // A loop and twelve developers on day kDay, imported 30 days later.
  std::vector<model::Event> day;
  for (TimeMs t = kDay0; t < kDay0 + 22 * kHourMs; t += 45 * kSecondMs)
    day.push_back(Ev("looper", "core", t, "loop"));
  for (int u = 0; u < 12; ++u) {  // as in Populate: human pace, commits
    std::string name = "dev" + std::to_string(u);
    TimeMs t = kDay0 + 9 * kHourMs + u * kMinuteMs;
    for (int i = 0; i < 60; ++i) {
      t += (i % 7 == 0 ? 20 : 1 + (i * 37 + u) % 5) * kMinuteMs;
      day.push_back(Ev(name, "core", t, name + "-s" + std::to_string(i / 20)));
    }
    model::Event o = Ev(name, "core", t, name + "-s0");
    o.type = model::EventType::kOutcome, o.outcome_kind = "commit";
    for (int k = 0; k < 5; ++k) day.push_back(o);
  }
  for (auto& e : day) {
    e.received = now;
    stored.push_back(e);
    engine.Observe(e);
  }
  EXPECT_TRUE(engine.features().Collect(engine.DayOf(now)).empty())
      << "an import must not be filed under today";
  EXPECT_EQ(engine.PendingDays(), 1u);
  EXPECT_TRUE(engine.RescoreSettled(now + 30 * kSecondMs).empty());  // still arriving
  auto scored = engine.RescoreSettled(now + 61 * kSecondMs);
  ASSERT_EQ(scored.size(), 1u);
  EXPECT_EQ(scored[0].day, kDay);
  EXPECT_EQ(scored[0].users, 13u);
  EXPECT_EQ(engine.PendingDays(), 0u);
  auto flag = engine.flags().Find("looper", kDay);
  ASSERT_TRUE(flag.has_value());
  EXPECT_TRUE(flag->flagged);
  EXPECT_FALSE(engine.flags().Find("dev0", kDay).has_value());
  // The same range on demand; a reversed range and a missing scan are errors.
  auto again = engine.Rescore(kDay - 1, kDay);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->size(), 2u);
  EXPECT_FALSE(engine.Rescore(kDay, kDay - 1).ok());
  DetectionEngine no_store(cfg, clock);
  EXPECT_FALSE(no_store.Rescore(kDay, kDay).ok());
}

TEST(DetectionEngine, ConflictingDuplicatesFlagTheirUserDayLiveAndOnRescore) {
  const TimeMs now = kDay0 + 30 * kDayMs + 10 * kHourMs;
  FakeClock clock(now);
  DetectConfig cfg = Config();
  cfg.rescore_settle_seconds = 60;
  DetectionEngine engine(cfg, clock);
  std::vector<model::Event> stored;
  engine.SetEventScan(
      [&](TimeMs from, const std::function<Status(std::span<const model::Event>)>& fn) {
        std::vector<model::Event> batch;
        for (const auto& e : stored)
          if (e.received >= from) batch.push_back(e);
        return fn(batch);
      });
  // Today: an honest day for "editor", then two of its ids again with other tokens.
  TimeMs today = engine.DayOf(now) * kDayMs;
  std::vector<model::Event> edited;
  for (int i = 0; i < 30; ++i) {
    model::Event e = Ev("editor", "core", today + 8 * kHourMs + i * kMinuteMs, "s");
    e.id = "cc-" + std::to_string(i);
    engine.Observe(e);
    if (i < 2) e.tokens.output *= 100, edited.push_back(e);
  }
  // And 30 days ago, imported now: one of its ids reported again.
  model::Event old = Ev("importer", "core", kDay0 + 9 * kHourMs, "s");
  old.id = "old-1", old.received = now;
  stored.push_back(old);
  engine.Observe(old);
  old.tokens.input += 1;
  edited.push_back(old);
  engine.ObserveConflicts(edited);
  // A client retrying its edited reports sends them again: still two edits.
  for (int retry = 0; retry < 5; ++retry)
    engine.ObserveConflicts(std::span<const model::Event>(edited).first(2));

  auto flags = engine.ScoreDay(engine.DayOf(now));
  ASSERT_EQ(flags.size(), 1u);
  EXPECT_EQ(flags[0].user, "editor");
  EXPECT_LT(flags[0].score, cfg.high_confidence_score) << "one weak reason: review, no waste";
  ASSERT_EQ(flags[0].reasons.size(), 1u);
  EXPECT_NE(flags[0].reasons[0].summary.find("2 conflicting_duplicate (ids reported again by "
                                             "their source with other usage: cc-0, cc-1)"),
            std::string::npos)
      << flags[0].reasons[0].summary;
  // The old day is rescored from the stored events, which hold no trace of
  // the conflict: the engine keeps it.
  EXPECT_EQ(engine.PendingDays(), 1u);
  ASSERT_EQ(engine.RescoreSettled(now + 61 * kSecondMs).size(), 1u);
  auto flag = engine.flags().Find("importer", kDay);
  ASSERT_TRUE(flag.has_value());
  EXPECT_NE(flag->reasons[0].summary.find("old-1"), std::string::npos);
}

TEST(DetectionReplay, HorizonKeepsEveryRetainedDayUtc) { ExpectReplayMatchesFullHistory("UTC"); }
TEST(DetectionReplay, HorizonKeepsEveryRetainedDayBerlin) {
  ExpectReplayMatchesFullHistory("Europe/Berlin");
}

}  // namespace
}  // namespace burnrate::detect
