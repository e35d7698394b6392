#include "govern/audit_log.h"

#include <gtest/gtest.h>

#include <thread>

#include "govern/test_util.h"
#include "store/sqlite/sqlite_stores.h"

namespace burnrate::govern {
namespace {

using testing::At;

std::string TempDb(const char* name) {
  std::string p = ::testing::TempDir() + "/" + name;
  std::remove(p.c_str());
  std::remove((p + "-wal").c_str());
  std::remove((p + "-shm").c_str());
  return p;
}

TEST(AuditLog, PersistsAndFilters) {
  std::string path = TempDb("audit_filters.db");
  FakeClock clock(At("2026-03-10T12:00:00Z"));
  {
    auto db = store::SqliteGovernStore::Open(path);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    AuditLog log(db->get(), clock);
    log.Append({0, 0, "governor", "deny", "user:alice", "budget", R"({"policy":"p"})"});
    clock.Advance(kMinuteMs);
    log.Append({0, 0, "root", "policy.create", "policy:p", "version 1", ""});
    clock.Advance(kMinuteMs);
    log.Append({0, 0, "governor", "throttle", "user:bob", "rate", ""});
  }  // destructor writes the queue
  auto db = store::SqliteGovernStore::Open(path);
  ASSERT_TRUE(db.ok());
  AuditLog log(db->get(), clock);
  auto all = log.Query({});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].action, "throttle");  // newest first
  auto by_actor = log.Query({.actor = "governor"});
  EXPECT_EQ(by_actor->size(), 2u);
  auto by_subject = log.Query({.subject = "user:alice"});
  ASSERT_EQ(by_subject->size(), 1u);
  EXPECT_EQ((*by_subject)[0].detail, R"({"policy":"p"})");
  auto window = log.Query({.from = At("2026-03-10T12:01:00Z"), .to = At("2026-03-10T12:02:00Z")});
  ASSERT_EQ(window->size(), 1u);
  EXPECT_EQ((*window)[0].action, "policy.create");
  auto limited = log.Query({.limit = 1});
  EXPECT_EQ(limited->size(), 1u);
  auto page = log.Query({.before_id = (*all)[0].id, .limit = 10});
  EXPECT_EQ(page->size(), 2u);
}

TEST(AuditLog, ConcurrentAppendsAllLand) {
  std::string path = TempDb("audit_concurrent.db");
  FakeClock clock(1);
  auto db = store::SqliteGovernStore::Open(path);
  ASSERT_TRUE(db.ok());
  AuditLog log(db->get(), clock);
  std::vector<std::thread> ts;
  for (int t = 0; t < 8; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i)
        log.Append({0, 0, "t" + std::to_string(t), "deny", "user:x", "", ""});
    });
  for (auto& th : ts) th.join();
  auto all = log.Query({.limit = 10000});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 4000u);
  EXPECT_EQ(log.dropped(), 0u);
}

}  // namespace
}  // namespace burnrate::govern
