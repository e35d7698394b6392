#include "badges/badges.h"

#include <gtest/gtest.h>
#include <toml++/toml.h>

#include <condition_variable>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "common/time_util.h"
#include "store/sqlite/sqlite_stores.h"

namespace burnrate::badges {
namespace {

TimeMs T(const char* s) { return ParseRfc3339(s).value(); }

model::Event Usage(const std::string& user, TimeMs ts, int64_t tokens,
                   const std::string& session = "") {
  static int n = 0;
  model::Event e;
  e.id = "e" + std::to_string(++n);
  e.user = user, e.team = "team-" + user.substr(0, 1), e.org = "o", e.model = "m",
  e.session = session;
  e.ts = ts;
  e.tokens.input = tokens;
  e.cost_nanos = 0;
  return e;
}

model::Event Outcome(const std::string& user, TimeMs ts, const std::string& kind, double v) {
  model::Event e = Usage(user, ts, 0);
  e.type = model::EventType::kOutcome;
  e.outcome_kind = kind, e.outcome_value = v;
  return e;
}

struct BadgesTest : ::testing::Test {
  FakeClock clock{T("2026-03-10T12:00:00Z")};
  std::unique_ptr<engine::Engine> eng;
  std::string db;
  void SetUp() override { Make("UTC"); }
  void Make(const char* tz) {
    engine::EngineOptions o;
    o.tz = TimeZone::Load(tz).value();
    o.board_refresh_ms = 0;  // every read sees the latest Apply
    eng = std::make_unique<engine::Engine>(o, clock);
    db = (std::filesystem::temp_directory_path() /
          ("badges_test_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db"))
             .string();
    std::filesystem::remove(db);
  }
  void TearDown() override {
    for (const char* ext : {"", "-wal", "-shm"}) std::filesystem::remove(db + ext);
  }
  BadgeRule Rule(const std::string& id) {
    for (auto& r : DefaultRules())
      if (r.id == id) return r;
    ADD_FAILURE() << "no default rule " << id;
    return {};
  }
  std::vector<std::string> Winners(const BadgeRule& r) {
    std::vector<std::string> out;
    for (auto& a : EvaluateRule(r, *eng, clock.NowMs())) out.push_back(a.subject);
    return out;
  }
};

TEST_F(BadgesTest, TokenLegendIsTheTopOnePercentWithoutFlaggedWaste) {
  std::vector<model::Event> ev;
  for (int i = 1; i <= 200; ++i)
    ev.push_back(Usage("u" + std::to_string(1000 + i), T("2026-03-09T10:00:00Z"), i * 100));
  eng->Apply(ev);
  auto legend = Rule("token_legend");
  EXPECT_EQ(Winners(legend), (std::vector<std::string>{"u1200", "u1199"}));  // 1% of 200
  // The top user's usage is flagged as waste: disqualified; the next moves up.
  eng->SetWasteFn([](engine::Entity, std::string_view id, engine::TimeRange) -> int64_t {
    return id == "u1200" ? 5 : 0;
  });
  clock.Advance(kSecondMs);
  eng->Apply(std::vector<model::Event>{Usage("u1001", T("2026-03-10T11:00:00Z"), 1)});
  EXPECT_EQ(Winners(legend), (std::vector<std::string>{"u1199"}));  // 1% of 199 qualified
  legend.disqualify_flagged = false;
  EXPECT_EQ(Winners(legend)[0], "u1200");
  // "Top 1%" of a small board is still its winner.
  auto a = EvaluateRule(legend, *eng, clock.NowMs());
  EXPECT_NE(a[0].evidence.find("\"rank\":1"), std::string::npos) << a[0].evidence;
  EXPECT_NE(a[0].evidence.find("\"of\":200"), std::string::npos);
}

TEST_F(BadgesTest, ThresholdAndMinimumVolume) {
  eng->Apply(std::vector<model::Event>{Usage("ana", T("2026-03-10T09:00:00Z"), 500),
                                       Usage("bo", T("2026-03-10T09:00:00Z"), 5000)});
  BadgeRule r;
  r.id = "big", r.metric = RuleMetric::kTokens, r.window = engine::Window::kDay, r.threshold = 400;
  EXPECT_EQ(Winners(r), (std::vector<std::string>{"bo", "ana"}));
  r.min_volume = 1000;
  EXPECT_EQ(Winners(r), (std::vector<std::string>{"bo"}));
  r.threshold = 6000;
  EXPECT_TRUE(Winners(r).empty());
}

TEST_F(BadgesTest, SessionImmortalIsTheLongestRunOfAtLeastFourHours) {
  std::vector<model::Event> ev;
  // ana: 6 hours with a ping every 25 minutes; bo: 8 hours but a 45-minute pause splits it 4h +
  // 3h15.
  for (TimeMs t = T("2026-03-09T06:00:00Z"); t <= T("2026-03-09T12:00:00Z"); t += 20 * kMinuteMs)
    ev.push_back(Usage("ana", t, 10, "a1"));
  for (TimeMs t = T("2026-03-09T00:00:00Z"); t <= T("2026-03-09T04:00:00Z"); t += 20 * kMinuteMs)
    ev.push_back(Usage("bo", t, 10, "b1"));
  for (TimeMs t = T("2026-03-09T04:45:00Z"); t <= T("2026-03-09T08:00:00Z"); t += 15 * kMinuteMs)
    ev.push_back(Usage("bo", t, 10, "b1"));
  eng->Apply(ev);
  auto awards = EvaluateRule(Rule("session_immortal"), *eng, clock.NowMs());
  ASSERT_EQ(awards.size(), 1u);
  EXPECT_EQ(awards[0].subject, "ana");
  EXPECT_DOUBLE_EQ(awards[0].value, 6.0);
  EXPECT_EQ(awards[0].period, "a1@2026-03-09T06:00:00.000Z");
  EXPECT_NE(awards[0].evidence.find("\"session\":\"a1\""), std::string::npos);
}

TEST_F(BadgesTest, StreakAwardIsOnePerStreakAndGrowsAcrossReopen) {
  std::vector<model::Event> ev;
  for (int d = 0; d < 5; ++d) ev.push_back(Usage("ana", T("2026-03-05T10:00:00Z") + d * kDayMs, 1));
  ev.push_back(Usage("bo", T("2026-03-09T10:00:00Z"), 1));
  eng->Apply(ev);
  clock.Set(T("2026-03-09T18:00:00Z"));
  {
    auto svc =
        BadgeService::Open(store::OpenSqliteBadgeStore(db).value(), {Rule("streak_5")}, *eng, clock)
            .value();
    ASSERT_TRUE(svc->Evaluate().ok());
    auto awards = svc->Awards({}).value();
    ASSERT_EQ(awards.size(), 1u);
    EXPECT_EQ(awards[0].subject, "ana");
    EXPECT_EQ(awards[0].period, "2026-03-05");
    EXPECT_EQ(awards[0].value, 5);
    EXPECT_EQ(svc->stats().awarded_new, 1);
    ASSERT_TRUE(svc->Evaluate().ok());  // nothing moved: nothing written
    EXPECT_EQ(svc->stats().updated, 0);
  }
  // The next day the streak grows: same row, new value, first award time kept.
  clock.Set(T("2026-03-10T18:00:00Z"));
  eng->Apply(std::vector<model::Event>{Usage("ana", T("2026-03-10T09:00:00Z"), 1)});
  auto svc =
      BadgeService::Open(store::OpenSqliteBadgeStore(db).value(), {Rule("streak_5")}, *eng, clock)
          .value();
  ASSERT_TRUE(svc->Evaluate().ok());
  auto awards = svc->Awards({"ana", "", 10}).value();
  ASSERT_EQ(awards.size(), 1u);
  EXPECT_EQ(awards[0].value, 6);
  EXPECT_EQ(awards[0].awarded_at, T("2026-03-09T18:00:00Z"));
  EXPECT_EQ(awards[0].updated_at, T("2026-03-10T18:00:00Z"));
}

TEST_F(BadgesTest, DayWindowFollowsLocalMidnight) {
  Make("Europe/Berlin");
  BadgeRule r;
  r.id = "busy_day", r.metric = RuleMetric::kTokens, r.window = engine::Window::kDay,
  r.threshold = 100;
  // 23:30 local on March 10 (CET, UTC+1) is 22:30Z.
  eng->Apply(std::vector<model::Event>{Usage("ana", T("2026-03-10T22:30:00Z"), 500)});
  clock.Set(T("2026-03-10T22:59:00Z"));  // 23:59 local
  auto a = EvaluateRule(r, *eng, clock.NowMs());
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].period, "2026-03-10");
  clock.Set(T("2026-03-10T23:01:00Z"));  // 00:01 local, March 11: a new day, nobody yet
  EXPECT_TRUE(EvaluateRule(r, *eng, clock.NowMs()).empty());
  eng->Apply(std::vector<model::Event>{Usage("bo", T("2026-03-10T23:00:30Z"), 500)});
  a = EvaluateRule(r, *eng, clock.NowMs());
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].subject, "bo");
  EXPECT_EQ(a[0].period, "2026-03-11");
}

TEST_F(BadgesTest, DayWindowOnTheShortDstDay) {
  Make("Europe/Berlin");
  BadgeRule r;
  r.id = "busy_day", r.metric = RuleMetric::kTokens, r.window = engine::Window::kDay,
  r.threshold = 100;
  // March 29, 2026 has 23 hours in Berlin: 00:00 CET = 23:00Z on the 28th,
  // 24:00 CEST = 22:00Z on the 29th.
  eng->Apply(std::vector<model::Event>{
      Usage("early", T("2026-03-28T23:10:00Z"), 500),   // 00:10 local, the 29th
      Usage("late", T("2026-03-29T21:50:00Z"), 500),    // 23:50 CEST, the 29th
      Usage("next", T("2026-03-29T22:10:00Z"), 500)});  // 00:10, the 30th
  clock.Set(T("2026-03-29T21:55:00Z"));
  auto a = EvaluateRule(r, *eng, clock.NowMs());
  std::vector<std::string> who;
  for (auto& x : a) {
    who.push_back(x.subject);
    EXPECT_EQ(x.period, "2026-03-29");
  }
  std::sort(who.begin(), who.end());
  EXPECT_EQ(who, (std::vector<std::string>{"early", "late"}));
}

TEST_F(BadgesTest, WeekWindowStartsOnLocalMonday) {
  Make("America/New_York");
  BadgeRule r;
  r.id = "weekly", r.metric = RuleMetric::kValue, r.window = engine::Window::kWeek, r.top_n = 5;
  // Sunday March 15, 23:30 EDT = 03:30Z Monday; Monday March 16, 00:30 EDT = 04:30Z.
  eng->Apply(std::vector<model::Event>{Outcome("sunday", T("2026-03-16T03:30:00Z"), "commit", 1),
                                       Outcome("monday", T("2026-03-16T04:30:00Z"), "commit", 1)});
  clock.Set(T("2026-03-16T12:00:00Z"));
  auto a = EvaluateRule(r, *eng, clock.NowMs());
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].subject, "monday");
  EXPECT_EQ(a[0].period, "2026-03-16");
  clock.Set(T("2026-03-16T03:45:00Z"));  // still Sunday in New York: last week
  a = EvaluateRule(r, *eng, clock.NowMs());
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].subject, "sunday");
  EXPECT_EQ(a[0].period, "2026-03-09");
}

TEST_F(BadgesTest, EditAcceptanceAndTopPercentOfEfficiency) {
  std::vector<model::Event> ev;
  ev.push_back(Usage("ana", T("2026-03-09T10:00:00Z"), 200'000));
  ev.push_back(Outcome("ana", T("2026-03-09T10:00:00Z"), "edit_accepted", 19));
  ev.push_back(Outcome("ana", T("2026-03-09T10:00:00Z"), "edit_rejected", 1));
  ev.push_back(Usage("bo", T("2026-03-09T10:00:00Z"), 200'000));
  ev.push_back(Outcome("bo", T("2026-03-09T10:00:00Z"), "edit_accepted", 1));
  ev.push_back(Outcome("bo", T("2026-03-09T10:00:00Z"), "edit_rejected", 1));
  eng->Apply(ev);
  auto a = EvaluateRule(Rule("sharp_editor"), *eng, clock.NowMs());
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].subject, "ana");
  EXPECT_DOUBLE_EQ(a[0].value, 95.0);
}

TEST(BadgeRules, ConfigOverridesRemovesAndAddsAndNamesTheLine) {
  auto t = toml::parse(R"(
[[badges]]
id = "token_legend"
top_percent = 5

[[badges]]
id = "shipper"
enabled = false

[[badges]]
id = "night_owl"
name = "Night Owl"
metric = "requests"
window = "day"
threshold = 100
)");
  auto rules = LoadRules(&t, "burnrate.toml");
  ASSERT_TRUE(rules.ok()) << rules.status().ToString();
  std::map<std::string, BadgeRule> by;
  for (auto& r : *rules) by[r.id] = r;
  EXPECT_EQ(by["token_legend"].top_percent, 5);
  EXPECT_EQ(by["token_legend"].metric, RuleMetric::kTokens);  // the rest from the default
  EXPECT_EQ(by.count("shipper"), 0u);
  EXPECT_EQ(by["night_owl"].window, engine::Window::kDay);
  EXPECT_EQ(by["night_owl"].threshold, 100);

  auto bad = toml::parse("[[badges]]\nid = \"x\"\nmetric = \"karma\"\nthreshold = 1\n");
  auto err = LoadRules(&bad, "burnrate.toml");
  ASSERT_FALSE(err.ok());
  EXPECT_NE(err.status().message().find("burnrate.toml:1: badges[0].metric must be one of"),
            std::string::npos)
      << err.status().message();
  auto none = toml::parse("[[badges]]\nid = \"y\"\nmetric = \"tokens\"\n");
  EXPECT_FALSE(LoadRules(&none, "f").ok());
  EXPECT_TRUE(LoadRules(nullptr, "f").ok());
}

TEST_F(BadgesTest, RankHistoryKeepsOneRowPerDay) {
  eng->Apply(std::vector<model::Event>{Usage("ana", T("2026-03-10T09:00:00Z"), 500),
                                       Usage("bo", T("2026-03-10T09:00:00Z"), 900)});
  auto svc = BadgeService::Open(store::OpenSqliteBadgeStore(db).value(), {}, *eng, clock).value();
  ASSERT_TRUE(svc->SnapshotRanks().ok());
  ASSERT_TRUE(svc->SnapshotRanks().ok());
  clock.Set(T("2026-03-11T09:30:00Z"));
  eng->Apply(std::vector<model::Event>{Usage("ana", T("2026-03-11T09:00:00Z"), 5000)});
  ASSERT_TRUE(svc->SnapshotRanks().ok());
  auto h = svc->RankHistory(engine::Entity::kUser, "ana", 7).value();
  std::vector<std::pair<std::string, int64_t>> tokens;
  for (auto& p : h)
    if (p.metric == "tokens") tokens.emplace_back(p.day, p.rank);
  EXPECT_EQ(tokens,
            (std::vector<std::pair<std::string, int64_t>>{{"2026-03-10", 2}, {"2026-03-11", 1}}));
}

// A store whose award writes wait at a gate, to hold an evaluation in the
// middle of its store writes.
class GatedStore : public BadgeStore {
 public:
  explicit GatedStore(std::unique_ptr<BadgeStore> inner) : inner_(std::move(inner)) {}
  Status UpsertAwards(const std::vector<Award>& awards) override {
    std::unique_lock lock(mu_);
    writing_ = true;
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
    writing_ = false;
    return inner_->UpsertAwards(awards);
  }
  Status ForEachAward(const std::function<void(const Award&)>& fn) override {
    return inner_->ForEachAward(fn);
  }
  Result<std::vector<Award>> Awards(const AwardQuery& q) override { return inner_->Awards(q); }
  Status PutRanks(const std::vector<RankRecord>& rows) override { return inner_->PutRanks(rows); }
  Result<std::vector<RankPoint>> RankHistory(const std::string& entity, const std::string& subject,
                                             const std::string& from_day) override {
    return inner_->RankHistory(entity, subject, from_day);
  }
  void Close() {
    std::lock_guard lock(mu_);
    open_ = false;
  }
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  void WaitUntilWriting() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return writing_; });
  }

 private:
  std::unique_ptr<BadgeStore> inner_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = true, writing_ = false;
};

// Every board answer asks which badges its rows hold; at 85,000 users the
// evaluator's store writes took 400-500 ms, and board reads waited for them.
TEST_F(BadgesTest, HoldingDoesNotWaitForTheEvaluatorsStoreWrites) {
  std::vector<model::Event> ev;
  for (int i = 1; i <= 200; ++i)
    ev.push_back(Usage("u" + std::to_string(1000 + i), T("2026-03-10T10:00:00Z"), i * 100));
  eng->Apply(ev);
  auto gated = std::make_unique<GatedStore>(store::OpenSqliteBadgeStore(db).value());
  GatedStore* gate = gated.get();
  auto svc = BadgeService::Open(std::move(gated), {Rule("token_legend")}, *eng, clock).value();
  ASSERT_TRUE(svc->Evaluate().ok());
  ASSERT_EQ(svc->Holding(engine::Entity::kUser, "u1200").size(), 1u);

  clock.Advance(kSecondMs);
  eng->Apply(std::vector<model::Event>{Usage("u1001", T("2026-03-10T11:00:00Z"), 50000)});
  gate->Close();
  std::thread evaluation([&] { EXPECT_TRUE(svc->Evaluate().ok()); });
  gate->WaitUntilWriting();
  // While the evaluation is held in its writes, readers get the last
  // published holdings at once (a wait here would last until Open()).
  auto holding = std::async(std::launch::async, [&] {
    return std::make_pair(svc->Holding(engine::Entity::kUser, "u1200").size(), svc->stats().rules);
  });
  EXPECT_EQ(holding.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  gate->Open();
  evaluation.join();
  EXPECT_EQ(holding.get(), std::make_pair(size_t(1), int64_t(1)));
  // Then the new evaluation's: u1001 is the top user now.
  EXPECT_EQ(svc->Holding(engine::Entity::kUser, "u1001").size(), 1u);
}

}  // namespace
}  // namespace burnrate::badges
