// Contract tests for store/store.h on the SQLite implementation: a real
// database file in a temporary directory.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

#include "store/store.h"

namespace burnrate::store {
namespace {

namespace fs = std::filesystem;

class SqliteStoreTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(testing::TempDir()) / ("store_test_" + std::to_string(getpid()) + "_" +
                                           testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "burnrate.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<Store> Open() {
    auto s = OpenSqliteStore(path_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }

  fs::path dir_;
  std::string path_;
};

model::Event Usage(std::string id, TimeMs ts, TimeMs received, std::string user = "alice") {
  model::Event e;
  e.id = std::move(id);
  e.ts = ts;
  e.received = received;
  e.user = std::move(user);
  e.team = "platform";
  e.org = "acme";
  e.project = "burnrate";
  e.source = "api";
  e.session = "s1";
  e.client = "laptop";
  e.model = "claude-sonnet-4-5";
  e.tokens = {100, 20, 3000, 400, 100};
  e.cost_nanos = 123456;
  return e;
}

TEST_F(SqliteStoreTest, AppendAndScanRoundTripEveryField) {
  auto s = Open();
  model::Event u = Usage("e1", 1000, 2000);
  u.prompt.present = true;
  u.prompt.length = 42;
  u.prompt.compress_ratio = 0.5f;
  u.prompt.simhash = 0xfedcba9876543210ULL;  // above INT64_MAX: stored as a negative integer
  u.prompt.exact_hash = 7;
  model::Event o;
  o.type = model::EventType::kOutcome;
  o.id = "e2";
  o.ts = 1500;
  o.received = 2500;
  o.user = "bob";
  o.outcome_kind = "pull_request";
  o.outcome_value = 2.5;
  std::vector<model::Event> evs = {u, o};
  ASSERT_TRUE(s->Append(evs).ok());
  std::vector<model::Event> got;
  ASSERT_TRUE(s->ScanEvents(0, [&](const model::Event& e) {
                 got.push_back(e);
                 return Status::OK();
               }).ok());
  ASSERT_EQ(got.size(), 2u);
  const model::Event& g = got[0];
  EXPECT_EQ(g.id, "e1");
  EXPECT_EQ(g.type, model::EventType::kUsage);
  EXPECT_EQ(g.ts, 1000);
  EXPECT_EQ(g.received, 2000);
  EXPECT_EQ(g.user, "alice");
  EXPECT_EQ(g.team, "platform");
  EXPECT_EQ(g.org, "acme");
  EXPECT_EQ(g.project, "burnrate");
  EXPECT_EQ(g.source, "api");
  EXPECT_EQ(g.session, "s1");
  EXPECT_EQ(g.client, "laptop");
  EXPECT_EQ(g.model, "claude-sonnet-4-5");
  EXPECT_EQ(g.tokens.input, 100);
  EXPECT_EQ(g.tokens.output, 20);
  EXPECT_EQ(g.tokens.cache_read, 3000);
  EXPECT_EQ(g.tokens.cache_write, 400);
  EXPECT_EQ(g.tokens.cache_write_1h, 100);
  EXPECT_EQ(g.cost_nanos, 123456);
  EXPECT_EQ(g.requests, 1);
  EXPECT_TRUE(g.prompt.present);
  EXPECT_EQ(g.prompt.length, 42u);
  EXPECT_FLOAT_EQ(g.prompt.compress_ratio, 0.5f);
  EXPECT_EQ(g.prompt.simhash, 0xfedcba9876543210ULL);
  EXPECT_EQ(g.prompt.exact_hash, 7u);
  EXPECT_EQ(got[1].type, model::EventType::kOutcome);
  EXPECT_EQ(got[1].outcome_kind, "pull_request");
  EXPECT_DOUBLE_EQ(got[1].outcome_value, 2.5);
  EXPECT_FALSE(got[1].prompt.present);
  EXPECT_EQ(*s->CountEvents(), 2);
}

TEST_F(SqliteStoreTest, ScanFromReceivedInArrivalOrderAndStopsOnError) {
  auto s = Open();
  std::vector<model::Event> a = {Usage("a", 10, 300), Usage("b", 5, 100)};
  std::vector<model::Event> b = {Usage("c", 1, 200)};
  ASSERT_TRUE(s->Append(a).ok());
  ASSERT_TRUE(s->Append(b).ok());
  std::vector<std::string> ids;
  ASSERT_TRUE(s->ScanEvents(150, [&](const model::Event& e) {
                 ids.push_back(e.id);
                 return Status::OK();
               }).ok());
  EXPECT_EQ(ids, (std::vector<std::string>{"a", "c"}));  // arrival (insert) order, not ts
  int n = 0;
  Status st = s->ScanEvents(0, [&](const model::Event&) {
    return ++n == 2 ? Status::Internal("stop here") : Status::OK();
  });
  EXPECT_EQ(st.code(), Status::Code::kInternal);
  EXPECT_EQ(n, 2);
}

TEST_F(SqliteStoreTest, DataSurvivesReopen) {
  {
    auto s = Open();
    std::vector<model::Event> evs;
    for (int i = 0; i < 1000; ++i) evs.push_back(Usage("id" + std::to_string(i), i, i));
    ASSERT_TRUE(s->Append(evs).ok());
    ASSERT_TRUE(s->PutMeta("schema", "1").ok());
  }
  auto s = Open();
  EXPECT_EQ(*s->CountEvents(), 1000);
  EXPECT_EQ(*s->GetMeta("schema"), "1");
  EXPECT_EQ(s->GetMeta("missing").status().code(), Status::Code::kNotFound);
  ASSERT_TRUE(s->PutMeta("schema", "2").ok());
  EXPECT_EQ(*s->GetMeta("schema"), "2");
}

TEST_F(SqliteStoreTest, PurgeFoldsIntoDailyRollups) {
  auto s = Open();
  std::vector<model::Event> evs = {Usage("a", 1 * kHourMs, 1 * kHourMs), Usage("b", 2 * kHourMs, 2 * kHourMs),
                                   Usage("c", kDayMs + kHourMs, kDayMs + kHourMs, "bob"),
                                   Usage("d", 3 * kDayMs, 3 * kDayMs)};
  model::Event o;
  o.type = model::EventType::kOutcome;
  o.id = "o";
  o.user = "alice";
  o.team = "platform";
  o.org = "acme";
  o.ts = o.received = 3 * kHourMs;
  o.outcome_kind = "commit";
  o.outcome_value = 4;
  evs.push_back(o);
  ASSERT_TRUE(s->Append(evs).ok());
  auto n = s->Purge(2 * kDayMs);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 4);
  EXPECT_EQ(*s->CountEvents(), 1);
  std::vector<model::Event> rolls;
  ASSERT_TRUE(s->ScanRollups([&](const model::Event& e) {
                 rolls.push_back(e);
                 return Status::OK();
               }).ok());
  // alice's two usage events of day 0 fold into one row, her outcome into
  // another, bob's day-1 event into a third.
  ASSERT_EQ(rolls.size(), 3u);
  int64_t input = 0, requests = 0, cost = 0;
  for (const auto& r : rolls) {
    EXPECT_TRUE(r.id.empty());
    if (r.type == model::EventType::kOutcome) {
      EXPECT_EQ(r.outcome_kind, "commit");
      EXPECT_DOUBLE_EQ(r.outcome_value, 4);
      EXPECT_EQ(r.ts, 0);
      continue;
    }
    input += r.tokens.input;
    requests += r.requests;
    cost += r.cost_nanos;
    if (r.user == "alice") {
      EXPECT_EQ(r.ts, 0);
      EXPECT_EQ(r.requests, 2);
      EXPECT_EQ(r.team, "platform");
      EXPECT_EQ(r.model, "claude-sonnet-4-5");
    } else {
      EXPECT_EQ(r.ts, kDayMs);
    }
  }
  EXPECT_EQ(input, 300);
  EXPECT_EQ(requests, 3);
  EXPECT_EQ(cost, 3 * 123456);
  // Purging again folds nothing new.
  EXPECT_EQ(*s->Purge(2 * kDayMs), 0);
}

TEST_F(SqliteStoreTest, ApiKeys) {
  auto s = Open();
  ApiKey k{"k_1", "hash1", "admin", "", "ops", 100, false};
  ApiKey v{"k_2", "hash2", "self", "alice", "", 200, false};
  ASSERT_TRUE(s->PutKey(k).ok());
  ASSERT_TRUE(s->PutKey(v).ok());
  auto f = s->FindKeyByHash("hash2");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->id, "k_2");
  EXPECT_EQ(f->role, "self");
  EXPECT_EQ(f->user, "alice");
  EXPECT_EQ(f->created, 200);
  EXPECT_EQ(s->FindKeyByHash("nope").status().code(), Status::Code::kNotFound);
  auto list = s->ListKeys();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id, "k_1");  // by creation time
  ASSERT_TRUE(s->RevokeKey("k_1").ok());
  EXPECT_TRUE(s->FindKeyByHash("hash1")->revoked);
  EXPECT_EQ(s->RevokeKey("k_404").code(), Status::Code::kNotFound);
}

TEST_F(SqliteStoreTest, ConcurrentAppendsAndScans) {
  auto s = Open();
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&, t] {
      for (int b = 0; b < 10; ++b) {
        std::vector<model::Event> evs;
        for (int i = 0; i < 50; ++i) evs.push_back(Usage(std::to_string(t) + "-" + std::to_string(b) + "-" + std::to_string(i), i, i));
        EXPECT_TRUE(s->Append(evs).ok());
      }
    });
  }
  ts.emplace_back([&] {
    for (int i = 0; i < 5; ++i) EXPECT_TRUE(s->ScanEvents(0, [](const model::Event&) { return Status::OK(); }).ok());
  });
  for (auto& t : ts) t.join();
  EXPECT_EQ(*s->CountEvents(), 4 * 10 * 50);
}

TEST_F(SqliteStoreTest, OpenFailsWithPath) {
  auto s = OpenSqliteStore((dir_ / "no" / "such" / "dir" / "x.db").string());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Status::Code::kIOError);
  EXPECT_NE(s.status().message().find("x.db"), std::string::npos);
}

}  // namespace
}  // namespace burnrate::store
