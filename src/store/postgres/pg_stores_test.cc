// The storage conformance suites (src/store/conformance/) against the
// PostgreSQL implementations, on a server this test starts itself
// (pg_test_server.h); each test gets a database of its own, named after its
// location, and Reopen() is a new connection to it (as after a restart of
// the node). Skipped, with the reason, where PostgreSQL is not installed.
#include "store/postgres/pg_stores.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "store/conformance/badge_store_conformance.h"
#include "store/conformance/flag_store_conformance.h"
#include "store/conformance/govern_conformance.h"
#include "store/conformance/otlp_state_conformance.h"
#include "store/conformance/store_conformance.h"
#include "store/postgres/pg_test_server.h"

namespace burnrate::store::conformance {
namespace {

std::string Unavailable() { return PgTestServer::Get().unavailable(); }

template <class T, class Open>
Backend<T> PgBackend(Open open) {
  return {"Postgres", true,
          [open](const std::string& location) -> Result<std::unique_ptr<T>> {
            BR_ASSIGN_OR_RETURN(std::string conninfo, PgTestServer::Get().Database(location));
            BR_ASSIGN_OR_RETURN(auto s, open(conninfo));
            return std::unique_ptr<T>(std::move(s));
          },
          Unavailable, true};
}

INSTANTIATE_TEST_SUITE_P(Postgres, KeyStoreConformance,
                         testing::Values(PgBackend<KeyStore>(OpenPgKeyStore)),
                         BackendName<KeyStore>);
INSTANTIATE_TEST_SUITE_P(Postgres, AuditStoreConformance,
                         testing::Values(PgBackend<govern::AuditStore>(PgGovernStore::Open)),
                         BackendName<govern::AuditStore>);
INSTANTIATE_TEST_SUITE_P(Postgres, PolicyStoreConformance,
                         testing::Values(PgBackend<govern::PolicyStore>(PgGovernStore::Open)),
                         BackendName<govern::PolicyStore>);
INSTANTIATE_TEST_SUITE_P(Postgres, AlertStoreConformance,
                         testing::Values(PgBackend<govern::AlertStore>(PgGovernStore::Open)),
                         BackendName<govern::AlertStore>);
INSTANTIATE_TEST_SUITE_P(Postgres, FlagStoreConformance,
                         testing::Values(PgBackend<detect::FlagStore>(OpenPgFlagStore)),
                         BackendName<detect::FlagStore>);

INSTANTIATE_TEST_SUITE_P(Postgres, EventStoreConformance,
                         testing::Values(PgBackend<EventStore>(OpenPgStore)),
                         BackendName<EventStore>);
INSTANTIATE_TEST_SUITE_P(Postgres, MetaStoreConformance,
                         testing::Values(PgBackend<MetaStore>(OpenPgStore)),
                         BackendName<MetaStore>);
INSTANTIATE_TEST_SUITE_P(Postgres, OtlpStateConformance,
                         testing::Values(PgBackend<otlp::StateStore>(OpenPgOtlpStateStore)),
                         BackendName<otlp::StateStore>);
INSTANTIATE_TEST_SUITE_P(Postgres, BadgeStoreConformance,
                         testing::Values(PgBackend<badges::BadgeStore>(OpenPgBadgeStore)),
                         BackendName<badges::BadgeStore>);

// PostgreSQL-specific: what the interfaces do not say.

TEST(PgGovernStore, AuditTableIsAppendOnly) {
  if (!Unavailable().empty()) GTEST_SKIP() << Unavailable();
  auto conninfo = PgTestServer::Get().Database("audit_append_only");
  ASSERT_TRUE(conninfo.ok()) << conninfo.status().ToString();
  auto g = PgGovernStore::Open(*conninfo);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  std::vector<govern::AuditEntry> e = {{0, 1, "a", "deny", "user:x", "r", ""}};
  ASSERT_TRUE((*g)->AppendAudit(e).ok());
  auto db = PgDb::Open(*conninfo, "test");
  ASSERT_TRUE(db.ok());
  EXPECT_FALSE((*db)->Exec("UPDATE govern_audit SET actor = 'b'").ok());
  EXPECT_FALSE((*db)->Exec("DELETE FROM govern_audit").ok());
}

// Retention drops the partitions of whole days before the cut (no row
// deletes there) and keeps a straddling block's younger events.
TEST(PgStore, PurgeDropsWholeDayPartitions) {
  if (!Unavailable().empty()) GTEST_SKIP() << Unavailable();
  auto conninfo = PgTestServer::Get().Database("purge_partitions");
  ASSERT_TRUE(conninfo.ok()) << conninfo.status().ToString();
  auto s = OpenPgStore(*conninfo);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  for (int d = 0; d < 3; ++d) {
    std::vector<model::Event> ev = {
        UsageEvent("p" + std::to_string(d), kDay0 + d * kDayMs, kDay0 + d * kDayMs + 100)};
    ASSERT_TRUE((*s)->Append(ev).ok());
  }
  auto db = PgDb::Open(*conninfo, "test");
  ASSERT_TRUE(db.ok());
  auto parts = [&] {
    auto r =
        (*db)->Query("SELECT count(*) FROM pg_inherits WHERE inhparent = 'event_blocks'::regclass");
    return r.ok() ? r->Int64(0, 0) : -1;
  };
  EXPECT_EQ(parts(), 3);
  // Cut in the middle of day 2: days 0 and 1 go whole, day 2 stays.
  auto folded = (*s)->Purge(kDay0 + 2 * kDayMs + 50);
  ASSERT_TRUE(folded.ok()) << folded.status().ToString();
  EXPECT_EQ(*folded, 2);
  EXPECT_EQ(parts(), 1);
  EXPECT_EQ(ScanIds(**s, 0), (std::vector<std::string>{"p2"}));
  std::vector<model::Event> next = {UsageEvent("q", kDay0, kDay0 + 3 * kDayMs)};
  ASSERT_TRUE((*s)->Append(next).ok());  // a new day after the purge
  EXPECT_EQ(*(*s)->CountEvents(), 2);
}

// Ids go to event_ids by one COPY, which a single id held already fails
// whole; the append is then redone with ON CONFLICT, and so are the next
// ones (docs/scale-out.md, "The shared log"). Seen from outside: a node
// re-posting another node's ids stores only the new ones and rolls back
// once, not once per append.
TEST(PgStore, RepostedIdsFallBackToTheSlowPathOnce) {
  if (!Unavailable().empty()) GTEST_SKIP() << Unavailable();
  auto conninfo = PgTestServer::Get().Database("copy_fallback");
  ASSERT_TRUE(conninfo.ok()) << conninfo.status().ToString();
  auto a = OpenPgStore(*conninfo);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  std::vector<model::Event> first;
  for (int i = 0; i < 10; ++i) first.push_back(UsageEvent("a" + std::to_string(i), kDay0, kDay0));
  ASSERT_TRUE((*a)->Append(first).ok());
  auto db = PgDb::Open(*conninfo, "test");
  ASSERT_TRUE(db.ok());
  auto rollbacks = [&] {
    auto r = (*db)->Query(
        "SELECT xact_rollback FROM pg_stat_database WHERE datname = current_database()");
    return r.ok() ? r->Int64(0, 0) : -1;
  };
  int64_t before = rollbacks();
  {
    auto b = OpenPgStore(*conninfo);
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    for (int round = 0; round < 3; ++round) {
      std::vector<model::Event> again = first;
      again.push_back(UsageEvent("b" + std::to_string(round), kDay0, kDay0));
      std::span<const model::Event> runs[] = {again};
      std::vector<const model::Event*> lost;
      ASSERT_TRUE((*b)->AppendRunsReporting(runs, &lost).ok());
      EXPECT_EQ(lost.size(), 10u);
    }
  }  // b's backend exits and reports its statistics
  int64_t after = before;
  for (int i = 0; i < 100 && after == before; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    after = rollbacks();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(rollbacks() - before, 1);
  EXPECT_EQ(*(*a)->CountEvents(), 13);
  EXPECT_EQ(ScanIds(**a, 0).size(), 13u);
}

// A database made before event_ids' BRIN index (a B-tree on received, the
// id in the database's collation) opens: the B-tree is replaced, the ids
// held still count, and retention still deletes the folded events' ids.
TEST(PgStore, UpgradesAnOldEventIdsTable) {
  if (!Unavailable().empty()) GTEST_SKIP() << Unavailable();
  auto conninfo = PgTestServer::Get().Database("event_ids_upgrade");
  ASSERT_TRUE(conninfo.ok()) << conninfo.status().ToString();
  auto db = PgDb::Open(*conninfo, "test");
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)
                  ->Exec("CREATE TABLE event_ids (id TEXT PRIMARY KEY, received BIGINT NOT NULL);"
                         "CREATE INDEX event_ids_received ON event_ids (received);"
                         "INSERT INTO event_ids VALUES ('old', " +
                         PgInt(kDay0) + ")")
                  .ok());
  auto s = OpenPgStore(*conninfo);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto indexes = [&] {
    auto r = (*db)->Query(
        "SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE tablename = "
        "'event_ids'");
    return r.ok() ? r->Str(0, 0) : r.status().ToString();
  };
  EXPECT_EQ(indexes(), "event_ids_pkey,event_ids_received_brin");
  std::vector<model::Event> one = {UsageEvent("x", kDay0, kDay0)};
  ASSERT_TRUE((*s)->Append(one).ok());
  // Blocks are zstd: stored as they are, not compressed again by pglz.
  auto storage = (*db)->Query(
      "SELECT string_agg(DISTINCT attstorage::text, ',') FROM pg_attribute WHERE attname = "
      "'data' AND attrelid IN (SELECT 'event_blocks'::regclass UNION SELECT inhrelid FROM "
      "pg_inherits WHERE inhparent = 'event_blocks'::regclass)");
  ASSERT_TRUE(storage.ok()) << storage.status().ToString();
  EXPECT_EQ(storage->Str(0, 0), "e");
  std::vector<model::Event> ev = {UsageEvent("old", kDay0, kDay0),
                                  UsageEvent("new", kDay0 + kDayMs, kDay0 + kDayMs)};
  ASSERT_TRUE((*s)->Append(ev).ok());
  EXPECT_EQ(ScanIds(**s, 0), (std::vector<std::string>{"x", "new"}));
  ASSERT_TRUE((*s)->Purge(kDay0 + 2 * kDayMs).ok());
  auto left = (*db)->Query("SELECT count(*) FROM event_ids");
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(left->Int64(0, 0), 0);
}

// Two nodes' stores on one database see each other's writes at once.
TEST(PgStores, TwoConnectionsShareKeysAndFlags) {
  if (!Unavailable().empty()) GTEST_SKIP() << Unavailable();
  auto conninfo = PgTestServer::Get().Database("two_nodes");
  ASSERT_TRUE(conninfo.ok()) << conninfo.status().ToString();
  auto a = OpenPgKeyStore(*conninfo), b = OpenPgKeyStore(*conninfo);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE((*a)->PutKey({"k_1", "h1", "admin", "", "ops", 1, false, "", ""}).ok());
  ASSERT_TRUE((*b)->RevokeKey("k_1").ok());
  EXPECT_TRUE((*a)->FindKeyByHash("h1")->revoked);
  auto fa = OpenPgFlagStore(*conninfo), fb = OpenPgFlagStore(*conninfo);
  ASSERT_TRUE(fa.ok() && fb.ok());
  detect::Flag f = Scored("looper", 100, 90);
  ASSERT_TRUE((*fa)->Put(f).ok());
  ASSERT_TRUE((*fb)->Review(f.id, ReviewState::kConfirmed, "ok", "alice", 5).ok());
  f.score = 95;
  detect::Flag stored;
  ASSERT_EQ(*(*fa)->Put(f, &stored), PutOutcome::kUpdated);
  EXPECT_EQ(stored.state, ReviewState::kConfirmed);  // node b's review kept by node a's Put
}

}  // namespace
}  // namespace burnrate::store::conformance
