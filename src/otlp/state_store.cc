#include "otlp/state_store.h"

#include "common/sqlite_stmt.h"

namespace burnrate::otlp {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS otlp_series (
  key INTEGER PRIMARY KEY, start_ns INTEGER NOT NULL, time_ns INTEGER NOT NULL,
  units INTEGER NOT NULL, is_int INTEGER NOT NULL, updated INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS otlp_sessions (
  key INTEGER PRIMARY KEY, source INTEGER NOT NULL, updated INTEGER NOT NULL);
)sql";

// uint64 keys and nanosecond times are stored bit-for-bit as int64.
int64_t I(uint64_t v) { return static_cast<int64_t>(v); }
uint64_t U(int64_t v) { return static_cast<uint64_t>(v); }

}  // namespace

Result<std::unique_ptr<StateStore>> StateStore::Open(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    std::string m = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return Status::IOError("otlp state: cannot open " + path + ": " + m);
  }
  sqlite3_busy_timeout(db, 5000);
  std::unique_ptr<StateStore> s(new StateStore(db));
  BR_RETURN_IF_ERROR(s->Exec("PRAGMA journal_mode=WAL"));
  BR_RETURN_IF_ERROR(s->Exec(kSchema));
  return s;
}

StateStore::~StateStore() { sqlite3_close(db_); }

Status StateStore::Exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string m = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    return Status::IOError("otlp state: " + m);
  }
  return Status::OK();
}

Status StateStore::Load(
    TimeMs before, const std::function<void(uint64_t, const CumulativeTracker::State&)>& series,
    const std::function<void(uint64_t, uint8_t)>& sessions) {
  for (const char* table : {"otlp_series", "otlp_sessions"}) {
    std::string sql =
        std::string("DELETE FROM ") + table + " WHERE updated < " + std::to_string(before);
    BR_RETURN_IF_ERROR(Exec(sql.c_str()));
  }
  SqliteStmt q(db_,
               "SELECT key, start_ns, time_ns, units, is_int FROM otlp_series ORDER BY updated");
  while (sqlite3_step(q.get()) == SQLITE_ROW) {
    CumulativeTracker::State st;
    st.start_ns = U(sqlite3_column_int64(q.get(), 1));
    st.time_ns = U(sqlite3_column_int64(q.get(), 2));
    st.units = sqlite3_column_int64(q.get(), 3);
    st.is_int = sqlite3_column_int(q.get(), 4) != 0;
    series(U(sqlite3_column_int64(q.get(), 0)), st);
  }
  SqliteStmt s(db_, "SELECT key, source FROM otlp_sessions");
  while (sqlite3_step(s.get()) == SQLITE_ROW)
    sessions(U(sqlite3_column_int64(s.get(), 0)), uint8_t(sqlite3_column_int(s.get(), 1)));
  return Status::OK();
}

Status StateStore::Save(const std::vector<CumulativeTracker::Change>& changes,
                        const std::vector<std::pair<uint64_t, uint8_t>>& sessions, TimeMs now) {
  if (changes.empty() && sessions.empty()) return Status::OK();
  BR_RETURN_IF_ERROR(Exec("BEGIN"));
  SqliteStmt up(
      db_,
      "INSERT INTO otlp_series (key, start_ns, time_ns, units, is_int, updated) VALUES (?1, ?2, "
      "?3, ?4, ?5, ?6) "
      "ON CONFLICT (key) DO UPDATE SET start_ns = excluded.start_ns, time_ns = excluded.time_ns, "
      "units = excluded.units, is_int = excluded.is_int, updated = excluded.updated "
      "WHERE excluded.time_ns >= otlp_series.time_ns");
  SqliteStmt ss(db_,
                "INSERT OR IGNORE INTO otlp_sessions (key, source, updated) VALUES (?1, ?2, ?3)");
  bool ok = true;
  for (const auto& c : changes) {
    sqlite3_reset(up.get());
    sqlite3_bind_int64(up.get(), 1, I(c.key));
    sqlite3_bind_int64(up.get(), 2, I(c.next.start_ns));
    sqlite3_bind_int64(up.get(), 3, I(c.next.time_ns));
    sqlite3_bind_int64(up.get(), 4, c.next.units);
    sqlite3_bind_int(up.get(), 5, c.next.is_int ? 1 : 0);
    sqlite3_bind_int64(up.get(), 6, now);
    ok = ok && sqlite3_step(up.get()) == SQLITE_DONE;
  }
  for (const auto& [key, source] : sessions) {
    sqlite3_reset(ss.get());
    sqlite3_bind_int64(ss.get(), 1, I(key));
    sqlite3_bind_int(ss.get(), 2, source);
    sqlite3_bind_int64(ss.get(), 3, now);
    ok = ok && sqlite3_step(ss.get()) == SQLITE_DONE;
  }
  if (!ok) {
    Status err = SqliteError(db_, "otlp state", "save");
    (void)Exec("ROLLBACK");
    return err;
  }
  return Exec("COMMIT");
}

}  // namespace burnrate::otlp
