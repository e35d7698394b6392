// Detection flags in the running application: reviews survive a restart
// (SqliteFlagStore in the same database file) and keep feeding governance's
// throttle level and the honest-volume board; a retracted flag lifts the
// throttle; each flag event is audited once. A real App on a real SQLite
// file; events go through the real ingest path.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "app/app.h"
#include "detect/detect.h"
#include "engine/engine.h"
#include "govern/govern.h"
#include "ingest/ingest.h"
#include "store/sqlite/sqlite_stores.h"

namespace burnrate::app {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kDay = 20000;  // 2024-10-04
constexpr TimeMs kDay0 = kDay * kDayMs;

model::Event Ev(const std::string& user, TimeMs ts, const std::string& session, int n) {
  model::Event e;
  e.id = user + "-" + std::to_string(n);
  e.user = user, e.team = "core", e.ts = ts, e.received = ts, e.session = session,
  e.client = user + "-ws";
  e.model = "claude-sonnet-4";
  e.tokens.input = 500, e.tokens.output = 300, e.tokens.cache_read = 30000;
  return e;
}

// Twelve developers with commits, and two scripted loops.
std::vector<model::Event> Org() {
  std::vector<model::Event> evs;
  for (int u = 0; u < 12; ++u) {
    std::string name = "dev" + std::to_string(u);
    TimeMs t = kDay0 + 9 * kHourMs + u * kMinuteMs;
    int n = 0;
    for (int i = 0; i < 60; ++i) {
      t += (i % 7 == 0 ? 20 : 1 + (i * 37 + u) % 5) * kMinuteMs;
      evs.push_back(Ev(name, t, name + "-s" + std::to_string(i / 20), n++));
    }
    for (int k = 0; k < 5; ++k) {
      model::Event o = Ev(name, t, name + "-s0", n++);
      o.type = model::EventType::kOutcome, o.outcome_kind = "commit", o.model.clear();
      evs.push_back(o);
    }
  }
  for (const char* bot : {"looper", "looper2"}) {
    int n = 0;
    for (TimeMs t = kDay0; t < kDay0 + 22 * kHourMs; t += 45 * kSecondMs)
      evs.push_back(Ev(bot, t, "loop", n++));
  }
  return evs;
}

class FlagPersistenceTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(testing::TempDir()) /
           ("flag_persistence_" + std::to_string(getpid()) + "_" +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    Open();
  }
  void TearDown() override {
    app_.reset();
    fs::remove_all(dir_);
  }
  void Open() {
    if (app_) app_->Stop();
    app_.reset();
    Config cfg;
    cfg.db_path = (dir_ / "burnrate.db").string();
    cfg.board_refresh_ms = 0;
    auto app = App::Open(cfg, clock_);
    ASSERT_TRUE(app.ok()) << app.status().ToString();
    app_ = std::move(*app);
    ASSERT_TRUE(app_->StartOffline().ok());
  }
  void Ingest(std::vector<model::Event> evs) {
    auto r = app_->ingestor().IngestSync(std::move(evs));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    app_->ingestor().WaitApplied();
  }
  int64_t HonestWaste(const std::string& user) {
    engine::BoardQuery q;
    q.metric = engine::Metric::kHonest;  // users, 7 days
    auto b = app_->engine().Leaderboard(q);
    EXPECT_TRUE(b.ok());
    for (const auto& e : b->entries)
      if (e.id == user) return e.wasted_tokens;
    ADD_FAILURE() << user << " not on the board";
    return -1;
  }
  std::vector<govern::AuditEntry> Audit(const std::string& subject) {
    auto db = store::SqliteGovernStore::Open((dir_ / "burnrate.db").string());
    EXPECT_TRUE(db.ok());
    govern::AuditFilter f;
    f.subject = subject;
    auto r = (*db)->QueryAudit(f);
    EXPECT_TRUE(r.ok());
    return *r;
  }

  FakeClock clock_{kDay0 + kDayMs + kHourMs};
  fs::path dir_;
  std::unique_ptr<App> app_;
};

TEST_F(FlagPersistenceTest, ReviewsSurviveRestartAndKeepFeedingThrottleAndHonestBoard) {
  Ingest(Org());
  auto flags = app_->detection().ScoreDay(kDay);
  ASSERT_EQ(flags.size(), 2u);
  std::string confirmed = detect::FlagId("looper", kDay),
              dismissed = detect::FlagId("looper2", kDay);
  EXPECT_EQ(app_->governor().ThrottleLevel("looper"), 1);  // high confidence, unreviewed
  ASSERT_TRUE(app_->detection()
                  .Review(confirmed, detect::ReviewState::kConfirmed, "owner admitted it", "root")
                  .ok());
  ASSERT_TRUE(
      app_->detection()
          .Review(dismissed, detect::ReviewState::kDismissed, "sanctioned soak test", "root")
          .ok());
  EXPECT_EQ(app_->governor().ThrottleLevel("looper"), 2);
  EXPECT_EQ(app_->governor().ThrottleLevel("looper2"), 0);
  int64_t waste = app_->detection().flags().Get(confirmed)->wasted_tokens;
  ASSERT_GT(waste, 0);
  EXPECT_EQ(HonestWaste("looper"), waste);
  EXPECT_EQ(HonestWaste("looper2"), 0);

  Open();  // restart on the same database file
  auto c = app_->detection().flags().Get(confirmed);
  auto d = app_->detection().flags().Get(dismissed);
  ASSERT_TRUE(c.has_value() && d.has_value());
  EXPECT_EQ(c->state, detect::ReviewState::kConfirmed);
  EXPECT_EQ(c->note, "owner admitted it");
  EXPECT_EQ(c->reviewer, "root");
  EXPECT_FALSE(c->reasons.empty());
  EXPECT_EQ(d->state, detect::ReviewState::kDismissed);
  EXPECT_EQ(d->note, "sanctioned soak test");
  EXPECT_EQ(app_->governor().ThrottleLevel("looper"), 2);
  EXPECT_EQ(app_->governor().ThrottleLevel("looper2"), 0);
  EXPECT_EQ(HonestWaste("looper"), waste);
  EXPECT_EQ(HonestWaste("looper2"), 0);
  EXPECT_EQ(app_->detection().WastedTokens("looper", kDay), waste);

  // Throttles restored at start-up were audited (and alerted) when first
  // set: restarts add no entries.
  Open();
  app_->Stop();                                 // flushes the audit writer
  EXPECT_EQ(Audit("user:looper").size(), 2u);   // flagged (level 1), confirmed (level 2)
  EXPECT_EQ(Audit("user:looper2").size(), 2u);  // flagged, dismissed
}

TEST_F(FlagPersistenceTest, RetractionLiftsTheThrottleAndEveryEventIsAuditedOnce) {
  Ingest(Org());
  ASSERT_EQ(app_->detection().ScoreDay(kDay).size(), 2u);
  app_->detection().ScoreDay(kDay);  // unchanged: no second audit
  EXPECT_EQ(app_->governor().ThrottleLevel("looper"), 1);

  // Commits reported late make the loop productive: the open flag is
  // withdrawn and the throttle lifted, audited once.
  std::vector<model::Event> late;
  for (int k = 0; k < 200; ++k) {
    model::Event o = Ev("looper", kDay0 + 23 * kHourMs, "loop", 100000 + k);
    o.type = model::EventType::kOutcome, o.outcome_kind = "commit", o.model.clear();
    late.push_back(o);
  }
  Ingest(late);
  clock_.Advance(kMinuteMs);
  auto flags = app_->detection().ScoreDay(kDay);
  ASSERT_EQ(flags.size(), 1u);
  EXPECT_EQ(flags[0].user, "looper2");
  auto f = app_->detection().flags().Find("looper", kDay);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->state, detect::ReviewState::kRetracted);
  EXPECT_EQ(app_->governor().ThrottleLevel("looper"), 0);
  EXPECT_EQ(HonestWaste("looper"), 0);
  app_->detection().ScoreDay(kDay);

  Open();  // the retraction is stored, and no throttle comes back
  EXPECT_EQ(app_->detection().flags().Find("looper", kDay)->state, detect::ReviewState::kRetracted);
  EXPECT_EQ(app_->governor().ThrottleLevel("looper"), 0);
  EXPECT_EQ(app_->governor().ThrottleLevel("looper2"), 1);
  // The audit log (written out when the first App stopped): one entry per
  // event, the throttle change carrying the flag's story; newest first.
  auto entries = Audit("user:looper");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].action, "unflag");
  EXPECT_NE(entries[0].reason.find("retracted"), std::string::npos) << entries[0].reason;
  EXPECT_EQ(entries[1].action, "flag");
  EXPECT_NE(entries[1].reason.find("flagged"), std::string::npos) << entries[1].reason;
  EXPECT_EQ(entries[1].actor, "detect");
}

}  // namespace
}  // namespace burnrate::app
