// The storage conformance suites (src/store/conformance/) against the
// SQLite implementations: each backend opens `<location>/burnrate.db`, the
// same file for every interface, as the server does.
#include "store/sqlite/sqlite_stores.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "store/conformance/badge_store_conformance.h"
#include "store/conformance/flag_store_conformance.h"
#include "store/conformance/govern_conformance.h"
#include "store/conformance/otlp_state_conformance.h"
#include "store/conformance/store_conformance.h"
#include "store/sqlite_db.h"

namespace burnrate::store::conformance {
namespace {

std::string DbIn(const std::string& location) { return location + "/burnrate.db"; }

// An interface of the event store (events, keys or meta).
template <class T>
Backend<T> SqliteStoreBackend() {
  return {"Sqlite", true, [](const std::string& location) -> Result<std::unique_ptr<T>> {
            BR_ASSIGN_OR_RETURN(auto s, OpenSqliteStore(DbIn(location)));
            return std::unique_ptr<T>(std::move(s));
          }};
}

template <class T>
Backend<T> SqliteGovernBackend() {
  return {"Sqlite", true, [](const std::string& location) -> Result<std::unique_ptr<T>> {
            BR_ASSIGN_OR_RETURN(auto s, SqliteGovernStore::Open(DbIn(location)));
            return std::unique_ptr<T>(std::move(s));
          }};
}

INSTANTIATE_TEST_SUITE_P(Sqlite, EventStoreConformance,
                         testing::Values(SqliteStoreBackend<EventStore>()),
                         BackendName<EventStore>);
INSTANTIATE_TEST_SUITE_P(Sqlite, KeyStoreConformance,
                         testing::Values(SqliteStoreBackend<KeyStore>()), BackendName<KeyStore>);
INSTANTIATE_TEST_SUITE_P(Sqlite, MetaStoreConformance,
                         testing::Values(SqliteStoreBackend<MetaStore>()), BackendName<MetaStore>);
INSTANTIATE_TEST_SUITE_P(Sqlite, AuditStoreConformance,
                         testing::Values(SqliteGovernBackend<govern::AuditStore>()),
                         BackendName<govern::AuditStore>);
INSTANTIATE_TEST_SUITE_P(Sqlite, PolicyStoreConformance,
                         testing::Values(SqliteGovernBackend<govern::PolicyStore>()),
                         BackendName<govern::PolicyStore>);
INSTANTIATE_TEST_SUITE_P(Sqlite, AlertStoreConformance,
                         testing::Values(SqliteGovernBackend<govern::AlertStore>()),
                         BackendName<govern::AlertStore>);
INSTANTIATE_TEST_SUITE_P(Sqlite, FlagStoreConformance,
                         testing::Values(Backend<detect::FlagStore>{
                             "Sqlite", true,
                             [](const std::string& l) { return OpenSqliteFlagStore(DbIn(l)); }}),
                         BackendName<detect::FlagStore>);
INSTANTIATE_TEST_SUITE_P(
    Sqlite, OtlpStateConformance,
    testing::Values(Backend<otlp::StateStore>{
        "Sqlite", true, [](const std::string& l) { return OpenSqliteOtlpStateStore(DbIn(l)); }}),
    BackendName<otlp::StateStore>);
INSTANTIATE_TEST_SUITE_P(Sqlite, BadgeStoreConformance,
                         testing::Values(Backend<badges::BadgeStore>{
                             "Sqlite", true,
                             [](const std::string& l) { return OpenSqliteBadgeStore(DbIn(l)); }}),
                         BackendName<badges::BadgeStore>);

// SQLite-specific: what the interfaces do not say.

// Every connection burnrate opens has the durability rule (WAL, FULL).
TEST(SqliteDb, EveryConnectionIsWalAndSynchronousFull) {
  std::string path = testing::TempDir() + "/sqlite_db_pragmas_" + std::to_string(getpid()) + ".db";
  auto db = SqliteDb::Open(path, {}, "test");
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  SqliteStmt mode(**db, "PRAGMA journal_mode"), sync(**db, "PRAGMA synchronous");
  ASSERT_EQ(mode.Step(), SQLITE_ROW);
  EXPECT_EQ(mode.Col(0), "wal");
  ASSERT_EQ(sync.Step(), SQLITE_ROW);
  EXPECT_EQ(sync.Int64(0), 2);  // FULL
  db->reset();
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
}

TEST(SqliteDb, RefusesAFileThatIsNotSqlite) {
  std::string path = testing::TempDir() + "/sqlite_db_text_" + std::to_string(getpid()) + ".db";
  FILE* f = fopen(path.c_str(), "w");
  fputs("hello, not a database\n", f);
  fclose(f);
  EXPECT_FALSE(SqliteDb::Open(path, {}, "test").ok());
  EXPECT_FALSE(OpenSqliteFlagStore(path).ok());
  EXPECT_FALSE(SqliteGovernStore::Open(path).ok());
  EXPECT_FALSE(OpenSqliteBadgeStore(path).ok());
  EXPECT_FALSE(OpenSqliteOtlpStateStore(path).ok());
  std::remove(path.c_str());
  EXPECT_FALSE(OpenSqliteFlagStore("/nonexistent-dir/x.db").ok());
}

// The audit table refuses UPDATE and DELETE in the schema itself.
TEST(SqliteGovernStore, AuditTableIsAppendOnly) {
  std::string path = testing::TempDir() + "/sqlite_audit_" + std::to_string(getpid()) + ".db";
  {
    auto g = SqliteGovernStore::Open(path);
    ASSERT_TRUE(g.ok());
    std::vector<govern::AuditEntry> e = {{0, 1, "a", "deny", "user:x", "r", ""}};
    ASSERT_TRUE((*g)->AppendAudit(e).ok());
  }
  auto db = SqliteDb::Open(path, {}, "test");
  ASSERT_TRUE(db.ok());
  EXPECT_FALSE((*db)->Exec("UPDATE govern_audit SET actor = 'b'").ok());
  EXPECT_FALSE((*db)->Exec("DELETE FROM govern_audit").ok());
  db->reset();
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
}

}  // namespace
}  // namespace burnrate::store::conformance
