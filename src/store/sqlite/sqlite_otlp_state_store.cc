// SQLite implementation of otlp::StateStore: tables otlp_series (per
// cumulative series: start, time, units) and otlp_sessions (per session:
// which source owns its usage). A series row only moves forward in time
// (the upsert's WHERE), so two bodies saved out of order cannot put an
// older state back. One connection; every call holds the store's mutex
// (concurrent Saves from the HTTP threads are each one transaction).
#include <mutex>

#include "store/sqlite/sqlite_stores.h"
#include "store/sqlite_db.h"

namespace burnrate::store {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS otlp_series (
  key INTEGER PRIMARY KEY, start_ns INTEGER NOT NULL, time_ns INTEGER NOT NULL,
  units INTEGER NOT NULL, is_int INTEGER NOT NULL, updated INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS otlp_sessions (
  key INTEGER PRIMARY KEY, source INTEGER NOT NULL, updated INTEGER NOT NULL);
)sql";

constexpr const char* kUpsertSeries =
    "INSERT INTO otlp_series (key, start_ns, time_ns, units, is_int, updated) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
    "ON CONFLICT (key) DO UPDATE SET start_ns = excluded.start_ns, time_ns = excluded.time_ns, "
    "units = excluded.units, is_int = excluded.is_int, updated = excluded.updated "
    "WHERE excluded.time_ns >= otlp_series.time_ns";
constexpr const char* kInsertSession =
    "INSERT OR IGNORE INTO otlp_sessions (key, source, updated) VALUES (?1, ?2, ?3)";

// uint64 keys and nanosecond times are stored bit-for-bit as int64.
int64_t I(uint64_t v) { return static_cast<int64_t>(v); }
uint64_t U(int64_t v) { return static_cast<uint64_t>(v); }

class SqliteOtlpStateStore final : public otlp::StateStore {
 public:
  explicit SqliteOtlpStateStore(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}

  Status Load(TimeMs before, const std::function<void(uint64_t, const otlp::SeriesState&)>& series,
              const std::function<void(uint64_t, uint8_t)>& sessions) override {
    std::lock_guard lock(mu_);
    for (const char* table : {"otlp_series", "otlp_sessions"}) {
      BR_RETURN_IF_ERROR(db_->Exec(std::string("DELETE FROM ") + table + " WHERE updated < " +
                                   std::to_string(before)));
    }
    SqliteStmt q(*db_,
                 "SELECT key, start_ns, time_ns, units, is_int FROM otlp_series ORDER BY updated");
    if (!q.ok()) return db_->Error("prepare load");
    int rc;
    while ((rc = q.Step()) == SQLITE_ROW) {
      series(U(q.Int64(0)), {U(q.Int64(1)), U(q.Int64(2)), q.Int64(3), q.Bool(4)});
    }
    if (rc != SQLITE_DONE) return db_->Error("load series");
    SqliteStmt s(*db_, "SELECT key, source FROM otlp_sessions");
    if (!s.ok()) return db_->Error("prepare load");
    while ((rc = s.Step()) == SQLITE_ROW) sessions(U(s.Int64(0)), uint8_t(s.Int64(1)));
    return rc == SQLITE_DONE ? Status::OK() : db_->Error("load sessions");
  }

  Status Save(const std::vector<otlp::SeriesChange>& changes,
              const std::vector<std::pair<uint64_t, uint8_t>>& sessions, TimeMs now) override {
    std::lock_guard lock(mu_);
    if (changes.empty() && sessions.empty()) return Status::OK();
    return db_->Transaction([&]() -> Status {
      SqliteStmt up(*db_, kUpsertSeries), ss(*db_, kInsertSession);
      if (!up.ok() || !ss.ok()) return db_->Error("prepare save");
      for (const otlp::SeriesChange& c : changes) {
        up.Reset().Int(1, I(c.key)).Int(2, I(c.next.start_ns)).Int(3, I(c.next.time_ns));
        up.Int(4, c.next.units).Int(5, c.next.is_int ? 1 : 0).Int(6, now);
        if (!up.Done()) return db_->Error("save series");
      }
      for (const auto& [key, source] : sessions) {
        if (!ss.Reset().Int(1, I(key)).Int(2, source).Int(3, now).Done())
          return db_->Error("save session");
      }
      return Status::OK();
    });
  }

 private:
  // Every call holds mu_: a write is a transaction on the one connection,
  // and another thread's statement inside it would join it (or its BEGIN
  // fail), which SQLite's own per-call mutex does not prevent.
  std::mutex mu_;
  std::unique_ptr<SqliteDb> db_;  // opened kCallerLocks
};

}  // namespace

Result<std::unique_ptr<otlp::StateStore>> OpenSqliteOtlpStateStore(const std::string& path,
                                                                   const SqliteOptions& opts) {
  BR_ASSIGN_OR_RETURN(auto db,
                      SqliteDb::Open(path, opts, "otlp state", SqliteDb::Threading::kCallerLocks));
  BR_RETURN_IF_ERROR(db->Exec(kSchema));
  return std::unique_ptr<otlp::StateStore>(new SqliteOtlpStateStore(std::move(db)));
}

}  // namespace burnrate::store
