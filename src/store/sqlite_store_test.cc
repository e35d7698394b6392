// Contract tests for store/store.h on the SQLite implementation: a real
// database file in a temporary directory.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>
#include <tuple>

#include "store/store.h"

namespace burnrate::store {
namespace {

namespace fs = std::filesystem;

class SqliteStoreTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(testing::TempDir()) /
           ("store_test_" + std::to_string(getpid()) + "_" +
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
  std::vector<model::Event> evs = {
      Usage("a", 1 * kHourMs, 1 * kHourMs), Usage("b", 2 * kHourMs, 2 * kHourMs),
      Usage("c", kDayMs + kHourMs, kDayMs + kHourMs, "bob"), Usage("d", 3 * kDayMs, 3 * kDayMs)};
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

// The schema and insert of databases written before event blocks.
void WriteLegacyEvents(const std::string& path, const std::vector<model::Event>& evs) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, R"sql(
CREATE TABLE events (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL, fp INTEGER NOT NULL, type INTEGER NOT NULL,
  ts INTEGER NOT NULL, received INTEGER NOT NULL,
  user TEXT, team TEXT, org TEXT, project TEXT, source TEXT, session TEXT, client TEXT, model TEXT,
  input INTEGER, output INTEGER, cache_read INTEGER, cache_write INTEGER, cache_write_1h INTEGER,
  cost_nanos INTEGER, requests INTEGER,
  outcome_kind TEXT, outcome_value REAL,
  p_len INTEGER, p_ratio REAL, p_simhash INTEGER, p_exact INTEGER);
CREATE TABLE rollups (
  day INTEGER NOT NULL, type INTEGER NOT NULL,
  user TEXT, team TEXT, org TEXT, project TEXT, source TEXT, model TEXT, outcome_kind TEXT,
  input INTEGER, output INTEGER, cache_read INTEGER, cache_write INTEGER, cost_nanos INTEGER,
  requests INTEGER, outcome_value REAL);)sql",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(
                db,
                "INSERT INTO events (id, fp, type, ts, received, user, team, org, project, source, "
                "session, client, model, input, output, cache_read, cache_write, cache_write_1h, "
                "cost_nanos, requests, outcome_kind, outcome_value, p_len, p_ratio, p_simhash, "
                "p_exact) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                -1, &s, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr), SQLITE_OK);
  for (const model::Event& e : evs) {
    int i = 1;
    auto text = [&](const std::string& v) {
      sqlite3_bind_text(s, i++, v.data(), int(v.size()), SQLITE_STATIC);
    };
    auto num = [&](int64_t v) { sqlite3_bind_int64(s, i++, v); };
    text(e.id), num(int64_t(model::EventFingerprint(e))), num(int(e.type)), num(e.ts),
        num(e.received);
    text(e.user), text(e.team), text(e.org), text(e.project), text(e.source), text(e.session);
    text(e.client), text(e.model);
    num(e.tokens.input), num(e.tokens.output), num(e.tokens.cache_read), num(e.tokens.cache_write);
    num(e.tokens.cache_write_1h), num(e.cost_nanos), num(e.requests);
    text(e.outcome_kind);
    sqlite3_bind_double(s, i++, e.outcome_value);
    num(e.prompt.present ? int64_t(e.prompt.length) : -1);
    sqlite3_bind_double(s, i++, e.prompt.compress_ratio);
    num(int64_t(e.prompt.simhash)), num(int64_t(e.prompt.exact_hash));
    ASSERT_EQ(sqlite3_step(s), SQLITE_DONE);
    sqlite3_reset(s);
  }
  sqlite3_finalize(s);
  ASSERT_EQ(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
}

std::vector<std::string> Ids(Store& s, TimeMs from = 0) {
  std::vector<std::string> ids;
  EXPECT_TRUE(s.ScanEvents(from, [&](const model::Event& e) {
                 ids.push_back(e.id);
                 return Status::OK();
               }).ok());
  return ids;
}

// Rollup rows as comparable tuples (order-free).
using RollupKey = std::tuple<TimeMs, int, std::string, std::string, std::string, std::string,
                             std::string, std::string, std::string>;
using RollupSums = std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, double>;
std::map<RollupKey, RollupSums> Rollups(Store& s) {
  std::map<RollupKey, RollupSums> out;
  EXPECT_TRUE(s.ScanRollups([&](const model::Event& r) {
                 RollupKey k{r.ts,      int(r.type), r.user,  r.team,        r.org,
                             r.project, r.source,    r.model, r.outcome_kind};
                 auto& [in, outp, cr, cw, cost, req, value] = out[k];  // rows of one key add up
                 in += r.tokens.input, outp += r.tokens.output, cr += r.tokens.cache_read;
                 cw += r.tokens.cache_write, cost += r.cost_nanos, req += r.requests,
                     value += r.outcome_value;
                 return Status::OK();
               }).ok());
  return out;
}

// A mixed day-spanning population: users, models, outcomes, a negative ts.
std::vector<model::Event> Population() {
  std::vector<model::Event> evs;
  for (int i = 0; i < 3000; ++i) {
    model::Event e = Usage("p" + std::to_string(i), (i % 5) * kDayMs + i * 1000,
                           (i / 1000) * kDayMs, "u" + std::to_string(i % 13));
    e.model = i % 3 ? "claude-sonnet-4-5" : "gpt-5";
    e.source = i % 4 ? "api" : "";
    e.tokens = {i, 2 * i, 3, i % 7, 0};
    e.cost_nanos = 1000 + i;
    if (i % 17 == 0) {
      e.type = model::EventType::kOutcome;
      e.outcome_kind = i % 2 ? "commit" : "lines_added";
      e.outcome_value = 0.25 * (i % 9);
    }
    evs.push_back(e);
  }
  evs[5].ts = -kDayMs / 2;  // truncates to day 0, as SQL integer division does
  return evs;
}

TEST_F(SqliteStoreTest, PurgeOfBlocksEqualsTheSqlFoldOfRows) {
  std::vector<model::Event> evs = Population();
  WriteLegacyEvents(path_, evs);
  std::map<RollupKey, RollupSums> sql;
  {
    auto s = Open();
    ASSERT_EQ(*s->Purge(2 * kDayMs), 2000);  // the SQL GROUP BY over legacy rows
    sql = Rollups(*s);
  }
  fs::remove(path_);
  auto s = Open();
  for (size_t i = 0; i < evs.size(); i += 700)  // several blocks
    ASSERT_TRUE(s->Append(std::span(evs).subspan(i, std::min<size_t>(700, evs.size() - i))).ok());
  ASSERT_EQ(*s->Purge(2 * kDayMs), 2000);
  EXPECT_EQ(*s->CountEvents(), 1000);
  EXPECT_FALSE(sql.empty());
  EXPECT_EQ(Rollups(*s), sql);
  std::vector<std::string> left = Ids(*s);
  ASSERT_EQ(left.size(), 1000u);
  EXPECT_EQ(left.front(), "p2000");
  EXPECT_EQ(left.back(), "p2999");
}

TEST_F(SqliteStoreTest, ReadsLegacyRowsBeforeBlocksAndPurgesBoth) {
  std::vector<model::Event> old = {Usage("old1", 10, 100), Usage("old2", 20, 200)};
  old[1].prompt = {true, 9, 0.25f, 0xfedcba9876543210ULL, 3};
  WriteLegacyEvents(path_, old);
  auto s = Open();
  std::vector<model::Event> fresh = {Usage("new1", 30, 300), Usage("new2", 40, kDayMs + 1)};
  ASSERT_TRUE(s->Append(fresh).ok());
  EXPECT_EQ(*s->CountEvents(), 4);
  EXPECT_EQ(Ids(*s), (std::vector<std::string>{"old1", "old2", "new1", "new2"}));
  EXPECT_EQ(Ids(*s, 200), (std::vector<std::string>{"old2", "new1", "new2"}));
  std::vector<model::Event> got;
  ASSERT_TRUE(s->ScanEvents(0, [&](const model::Event& e) {
                 got.push_back(e);
                 return Status::OK();
               }).ok());
  EXPECT_EQ(got[1].prompt.simhash, 0xfedcba9876543210ULL);
  EXPECT_EQ(got[1].tokens.cache_write_1h, 100);
  EXPECT_EQ(*s->Purge(1000), 3);  // both old rows and the first block event
  EXPECT_EQ(Ids(*s), (std::vector<std::string>{"new2"}));
  auto r = Rollups(*s);  // a row from the SQL fold and one from the block fold, same key
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(std::get<5>(r.begin()->second), 3);
}

TEST_F(SqliteStoreTest, FreshDatabaseHasOnlyBlocks) {
  { auto s = Open(); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(
      sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name", -1,
                         &st, nullptr),
      SQLITE_OK);
  std::vector<std::string> tables;
  while (sqlite3_step(st) == SQLITE_ROW)
    tables.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
  sqlite3_finalize(st);
  sqlite3_close(db);
  EXPECT_EQ(tables, (std::vector<std::string>{"api_keys", "event_blocks", "meta", "rollups"}));
}

TEST_F(SqliteStoreTest, LargeAppendsSplitIntoBlocksAndScanInBatches) {
  auto s = Open();
  std::vector<model::Event> evs;
  for (int i = 0; i < 150'000; ++i) evs.push_back(Usage("big" + std::to_string(i), i, 5));
  ASSERT_TRUE(s->Append(evs).ok());
  std::vector<model::Event> two = {Usage("x", 1, 6), Usage("y", 2, 6)};
  ASSERT_TRUE(s->Append(two).ok());
  EXPECT_EQ(*s->CountEvents(), 150'002);
  std::vector<size_t> sizes;
  int64_t next = 0;
  ASSERT_TRUE(s->ScanEventBatches(0, [&](std::span<const model::Event> b) {
                 sizes.push_back(b.size());
                 for (const auto& e : b) {
                   if (e.id.starts_with("big")) {
                     EXPECT_EQ(e.ts, next++);
                   }
                 }
                 return Status::OK();
               }).ok());
  EXPECT_EQ(sizes, (std::vector<size_t>{65536, 65536, 150'000 - 2 * 65536, 2}));  // whole blocks
  EXPECT_EQ(next, 150'000);
  EXPECT_EQ(*s->Purge(6), 150'000);
  EXPECT_EQ(Ids(*s), (std::vector<std::string>{"x", "y"}));
}

// Recovery takes each decoded block by swapping in a vector of its own
// (here: stale events of another size); the store overwrites those, so the
// blocks come out exactly as ScanEventBatches gives them.
TEST_F(SqliteStoreTest, ScanEventBlocksMayTakeEachBlock) {
  auto s = Open();
  std::vector<model::Event> evs;
  for (int i = 0; i < 70'000; ++i)
    evs.push_back(Usage("e" + std::to_string(i), i, i % 3 == 0 ? 5 : 9));
  ASSERT_TRUE(s->Append(evs).ok());
  std::vector<model::Event> two = {Usage("x", 1, 10), Usage("y", 2, 11)};
  ASSERT_TRUE(s->Append(two).ok());
  std::vector<std::string> want, got;
  ASSERT_TRUE(s->ScanEventBatches(0, [&](std::span<const model::Event> b) {
                 for (const auto& e : b)
                   want.push_back(e.id + "/" + std::to_string(e.received) + "/" + e.user);
                 return Status::OK();
               }).ok());
  std::vector<std::vector<model::Event>> taken;
  std::vector<model::Event> mine(3, Usage("stale", 99, 99));
  mine[0].team = "leftover";
  ASSERT_TRUE(s->ScanEventBlocks(0, [&](std::vector<model::Event>& b) {
                 std::swap(b, mine);
                 taken.push_back(mine);  // keep a copy of what we took
                 mine = taken.size() % 2 ? std::vector<model::Event>(5, Usage("old", 7, 7))
                                         : std::vector<model::Event>{};
                 return Status::OK();
               }).ok());
  for (const auto& b : taken)
    for (const auto& e : b) {
      got.push_back(e.id + "/" + std::to_string(e.received) + "/" + e.user);
      EXPECT_NE(e.team, "leftover");
    }
  EXPECT_EQ(got, want);
  EXPECT_EQ(taken.size(), 3u);  // 65,536 + 4,464 + 2
}

TEST_F(SqliteStoreTest, CorruptBlockIsReportedNotSkipped) {
  {
    auto s = Open();
    std::vector<model::Event> evs = {Usage("a", 1, 1)};
    ASSERT_TRUE(s->Append(evs).ok());
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(
      sqlite3_exec(db, "UPDATE event_blocks SET data = x'28b52ffd0000'", nullptr, nullptr, nullptr),
      SQLITE_OK);
  sqlite3_close(db);
  auto s = Open();
  Status st = s->ScanEvents(0, [](const model::Event&) { return Status::OK(); });
  EXPECT_EQ(st.code(), Status::Code::kIOError);
  EXPECT_NE(st.message().find("event block 1: corrupt event block"), std::string::npos)
      << st.message();
  EXPECT_FALSE(s->Purge(100).ok());
  EXPECT_EQ(*s->CountEvents(), 1);  // the failed purge rolled back
}

TEST_F(SqliteStoreTest, AppendRunsIsOneCommitInOneBlock) {
  auto s = Open();
  std::vector<model::Event> a = {Usage("a1", 1, 10), Usage("a2", 2, 10)};
  std::vector<model::Event> none;
  std::vector<model::Event> b = {Usage("b1", 3, 10)};
  std::span<const model::Event> runs[] = {a, none, b};
  ASSERT_TRUE(s->AppendRuns(runs).ok());
  std::span<const model::Event> empty[] = {none};
  ASSERT_TRUE(s->AppendRuns(empty).ok());  // nothing to write: no block
  EXPECT_EQ(*s->CountEvents(), 3);
  std::vector<std::vector<std::string>> blocks;
  ASSERT_TRUE(s->ScanEventBatches(0, [&](std::span<const model::Event> batch) {
                 blocks.emplace_back();
                 for (const auto& e : batch) blocks.back().push_back(e.id);
                 return Status::OK();
               }).ok());
  EXPECT_EQ(blocks, (std::vector<std::vector<std::string>>{{"a1", "a2", "b1"}}));
}

TEST_F(SqliteStoreTest, ReadOnlyOpenReadsBesideAWriterAndRefusesWrites) {
  auto w = Open();
  std::vector<model::Event> evs = {Usage("a", 1, 1), Usage("b", 2, 2)};
  ASSERT_TRUE(w->Append(evs).ok());
  auto r = OpenSqliteStore(path_, {.read_only = true});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Ids(**r), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ((*r)->Append(evs).code(), Status::Code::kIOError);
  EXPECT_FALSE((*r)->Purge(100).ok());
  ASSERT_TRUE(w->Append(std::span(evs).subspan(0, 1)).ok());
  EXPECT_EQ(*(*r)->CountEvents(), 3);  // sees the writer's later commit
  EXPECT_FALSE(OpenSqliteStore((dir_ / "missing.db").string(), {.read_only = true}).ok());
  EXPECT_FALSE(fs::exists(dir_ / "missing.db"));
}

// `burnrate events --count` on the wrong file must fail, not print 0.
TEST_F(SqliteStoreTest, ReadOnlyOpenRefusesAFileThatIsNotABurnrateDatabase) {
  std::ofstream(dir_ / "text.db") << "hello, not a database\n";
  auto text = OpenSqliteStore((dir_ / "text.db").string(), {.read_only = true});
  ASSERT_FALSE(text.ok());
  EXPECT_NE(text.status().message().find("not a database"), std::string::npos)
      << text.status().ToString();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "other.db").string().c_str(), &db), SQLITE_OK);
  sqlite3_exec(db, "CREATE TABLE t(x)", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  auto other = OpenSqliteStore((dir_ / "other.db").string(), {.read_only = true});
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.status().message().find("not a burnrate database"), std::string::npos);
}

TEST_F(SqliteStoreTest, ApiKeys) {
  auto s = Open();
  ApiKey k{"k_1", "hash1", "admin", "", "ops", 100, false, "", ""};
  ApiKey v{"k_2", "hash2", "self", "alice", "", 200, false, "", ""};
  ApiKey g{"k_3", "hash3", "gateway", "ada@corp", "", 300, false, "compilers", "P"};
  ASSERT_TRUE(s->PutKey(k).ok());
  ASSERT_TRUE(s->PutKey(v).ok());
  ASSERT_TRUE(s->PutKey(g).ok());
  auto gw = s->FindKeyByHash("hash3");
  ASSERT_TRUE(gw.ok());
  EXPECT_EQ(gw->team, "compilers");
  EXPECT_EQ(gw->project, "P");
  auto f = s->FindKeyByHash("hash2");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->id, "k_2");
  EXPECT_EQ(f->role, "self");
  EXPECT_EQ(f->user, "alice");
  EXPECT_EQ(f->created, 200);
  EXPECT_EQ(s->FindKeyByHash("nope").status().code(), Status::Code::kNotFound);
  auto list = s->ListKeys();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 3u);
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
        for (int i = 0; i < 50; ++i)
          evs.push_back(
              Usage(std::to_string(t) + "-" + std::to_string(b) + "-" + std::to_string(i), i, i));
        EXPECT_TRUE(s->Append(evs).ok());
      }
    });
  }
  ts.emplace_back([&] {
    for (int i = 0; i < 5; ++i)
      EXPECT_TRUE(s->ScanEvents(0, [](const model::Event&) { return Status::OK(); }).ok());
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
