// SQLite implementation of the store.
//
// Events are one row each in a rowid table with no secondary index: appends
// go to the end of the B-tree, which is as fast as SQLite inserts get, and
// every query burnrate makes of raw events is a scan in arrival order
// (recovery, retention). The idempotency key's fingerprint is a column, not
// an index: de-duplication happens in memory (ingest/dedup_index.cc) and is
// rebuilt from this column on start. Durability: WAL with synchronous=FULL,
// so a committed transaction has reached the disk before Append returns.
#include <sqlite3.h>

#include <cstring>
#include <mutex>

#include "common/clock.h"
#include "store/store.h"

namespace burnrate::store {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL, fp INTEGER NOT NULL, type INTEGER NOT NULL,
  ts INTEGER NOT NULL, received INTEGER NOT NULL,
  user TEXT, team TEXT, org TEXT, project TEXT, source TEXT, session TEXT, client TEXT, model TEXT,
  input INTEGER, output INTEGER, cache_read INTEGER, cache_write INTEGER, cache_write_1h INTEGER,
  cost_nanos INTEGER, requests INTEGER,
  outcome_kind TEXT, outcome_value REAL,
  p_len INTEGER, p_ratio REAL, p_simhash INTEGER, p_exact INTEGER
);
CREATE TABLE IF NOT EXISTS rollups (
  day INTEGER NOT NULL, type INTEGER NOT NULL,
  user TEXT, team TEXT, org TEXT, project TEXT, source TEXT, model TEXT, outcome_kind TEXT,
  input INTEGER, output INTEGER, cache_read INTEGER, cache_write INTEGER, cost_nanos INTEGER,
  requests INTEGER, outcome_value REAL
);
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY, hash TEXT UNIQUE NOT NULL, role TEXT NOT NULL, user TEXT, label TEXT,
  created INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
)sql";

constexpr const char* kInsert =
    "INSERT INTO events (id, fp, type, ts, received, user, team, org, project, source, session, "
    "client, model, input, output, cache_read, cache_write, cache_write_1h, cost_nanos, requests, "
    "outcome_kind, outcome_value, p_len, p_ratio, p_simhash, p_exact) VALUES "
    "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";

constexpr const char* kSelect =
    "SELECT id, type, ts, received, user, team, org, project, source, session, client, model, "
    "input, output, cache_read, cache_write, cache_write_1h, cost_nanos, requests, outcome_kind, "
    "outcome_value, p_len, p_ratio, p_simhash, p_exact FROM events WHERE received >= ? ORDER BY seq";

class Stmt {
 public:
  Stmt() = default;
  Stmt(const Stmt&) = delete;
  ~Stmt() { sqlite3_finalize(s_); }
  sqlite3_stmt** out() { return &s_; }
  sqlite3_stmt* get() const { return s_; }

 private:
  sqlite3_stmt* s_ = nullptr;
};

std::string Text(sqlite3_stmt* s, int col) {
  const unsigned char* t = sqlite3_column_text(s, col);
  return t ? std::string(reinterpret_cast<const char*>(t), sqlite3_column_bytes(s, col)) : std::string();
}

// Assigns in place, reusing the string's buffer across rows.
void AssignText(sqlite3_stmt* s, int col, std::string* out) {
  const unsigned char* t = sqlite3_column_text(s, col);
  if (t == nullptr) return out->clear();
  out->assign(reinterpret_cast<const char*>(t), size_t(sqlite3_column_bytes(s, col)));
}

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(sqlite3* db) : db_(db) {}
  // close_v2 defers the close until insert_ is finalised, just after.
  ~SqliteStore() override { sqlite3_close_v2(db_); }

  Status Init(const SqliteOptions& opts) {
    BR_RETURN_IF_ERROR(Exec("PRAGMA journal_mode=WAL"));
    BR_RETURN_IF_ERROR(Exec(opts.synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=OFF"));
    BR_RETURN_IF_ERROR(Exec("PRAGMA cache_size=-65536"));
    BR_RETURN_IF_ERROR(Exec("PRAGMA wal_autocheckpoint=10000"));
    BR_RETURN_IF_ERROR(Exec(kSchema));
    return Prepare(kInsert, insert_);
  }

  Status Append(std::span<const model::Event> events) override {
    std::lock_guard lock(mu_);
    BR_RETURN_IF_ERROR(Exec("BEGIN"));
    sqlite3_stmt* s = insert_.get();
    for (const model::Event& e : events) {
      int i = 1;
      auto text = [&](const std::string& v) { sqlite3_bind_text(s, i++, v.data(), int(v.size()), SQLITE_STATIC); };
      auto num = [&](int64_t v) { sqlite3_bind_int64(s, i++, v); };
      text(e.id);
      num(int64_t(model::EventFingerprint(e)));
      num(int(e.type));
      num(e.ts);
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
      int rc = sqlite3_step(s);
      sqlite3_reset(s);
      if (rc != SQLITE_DONE) {
        Status st = Error("insert event");
        (void)Exec("ROLLBACK");
        return st;
      }
    }
    return Exec("COMMIT");
  }

  Status ScanEvents(TimeMs from, const std::function<Status(const model::Event&)>& fn) override {
    std::lock_guard lock(mu_);
    Stmt st;
    BR_RETURN_IF_ERROR(Prepare(kSelect, st));
    sqlite3_stmt* s = st.get();
    sqlite3_bind_int64(s, 1, from);
    model::Event e;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      int i = 0;
      AssignText(s, i++, &e.id);
      e.type = model::EventType(sqlite3_column_int(s, i++));
      e.ts = sqlite3_column_int64(s, i++);
      e.received = sqlite3_column_int64(s, i++);
      for (std::string* f : {&e.user, &e.team, &e.org, &e.project, &e.source, &e.session, &e.client, &e.model})
        AssignText(s, i++, f);
      for (int64_t* f : {&e.tokens.input, &e.tokens.output, &e.tokens.cache_read, &e.tokens.cache_write,
                         &e.tokens.cache_write_1h, &e.cost_nanos, &e.requests})
        *f = sqlite3_column_int64(s, i++);
      AssignText(s, i++, &e.outcome_kind);
      e.outcome_value = sqlite3_column_double(s, i++);
      int64_t plen = sqlite3_column_int64(s, i++);
      e.prompt.present = plen >= 0;
      e.prompt.length = uint32_t(std::max<int64_t>(plen, 0));
      e.prompt.compress_ratio = float(sqlite3_column_double(s, i++));
      e.prompt.simhash = uint64_t(sqlite3_column_int64(s, i++));
      e.prompt.exact_hash = uint64_t(sqlite3_column_int64(s, i++));
      BR_RETURN_IF_ERROR(fn(e));
    }
    return rc == SQLITE_DONE ? Status::OK() : Error("scan events");
  }

  Status ScanRollups(const std::function<Status(const model::Event&)>& fn) override {
    std::lock_guard lock(mu_);
    Stmt st;
    BR_RETURN_IF_ERROR(Prepare(
        "SELECT day, type, user, team, org, project, source, model, outcome_kind, input, output, "
        "cache_read, cache_write, cost_nanos, requests, outcome_value FROM rollups ORDER BY day",
        st));
    sqlite3_stmt* s = st.get();
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      model::Event e;
      e.ts = sqlite3_column_int64(s, 0) * kDayMs;
      e.received = e.ts;
      e.type = model::EventType(sqlite3_column_int(s, 1));
      int i = 2;
      for (std::string* f : {&e.user, &e.team, &e.org, &e.project, &e.source, &e.model, &e.outcome_kind})
        *f = Text(s, i++);
      for (int64_t* f : {&e.tokens.input, &e.tokens.output, &e.tokens.cache_read, &e.tokens.cache_write,
                         &e.cost_nanos, &e.requests})
        *f = sqlite3_column_int64(s, i++);
      e.outcome_value = sqlite3_column_double(s, i++);
      BR_RETURN_IF_ERROR(fn(e));
    }
    return rc == SQLITE_DONE ? Status::OK() : Error("scan rollups");
  }

  Result<int64_t> Purge(TimeMs before) override {
    std::lock_guard lock(mu_);
    BR_RETURN_IF_ERROR(Exec("BEGIN"));
    std::string b = std::to_string(before);
    // Outcome rows keep their kind; usage rows their model. Days are UTC.
    Status st = Exec(
        "INSERT INTO rollups SELECT ts / 86400000, type, user, team, org, project, source, model, "
        "outcome_kind, SUM(input), SUM(output), SUM(cache_read), SUM(cache_write), SUM(cost_nanos), "
        "SUM(requests), SUM(outcome_value) FROM events WHERE received < " + b +
        " GROUP BY ts / 86400000, type, user, team, org, project, source, model, outcome_kind");
    if (st.ok()) st = Exec("DELETE FROM events WHERE received < " + b);
    if (!st.ok()) {
      (void)Exec("ROLLBACK");
      return st;
    }
    int64_t n = sqlite3_changes64(db_);
    BR_RETURN_IF_ERROR(Exec("COMMIT"));
    return n;
  }

  Result<int64_t> CountEvents() override {
    std::lock_guard lock(mu_);
    Stmt st;
    BR_RETURN_IF_ERROR(Prepare("SELECT COUNT(*) FROM events", st));
    if (sqlite3_step(st.get()) != SQLITE_ROW) return Error("count events");
    return int64_t(sqlite3_column_int64(st.get(), 0));
  }

  Status PutKey(const ApiKey& k) override {
    std::lock_guard lock(mu_);
    Stmt st;
    BR_RETURN_IF_ERROR(Prepare(
        "INSERT OR REPLACE INTO api_keys (id, hash, role, user, label, created, revoked) VALUES (?,?,?,?,?,?,?)", st));
    sqlite3_stmt* s = st.get();
    sqlite3_bind_text(s, 1, k.id.c_str(), -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, k.hash.c_str(), -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, k.role.c_str(), -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, k.user.c_str(), -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, k.label.c_str(), -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 6, k.created);
    sqlite3_bind_int(s, 7, k.revoked ? 1 : 0);
    return sqlite3_step(s) == SQLITE_DONE ? Status::OK() : Error("store key");
  }

  Result<ApiKey> FindKeyByHash(const std::string& hash) override {
    std::lock_guard lock(mu_);
    auto keys = QueryKeys("WHERE hash = ?", hash);
    if (!keys.ok()) return keys.status();
    if (keys->empty()) return Status::NotFound("no such key");
    return keys->front();
  }

  Result<std::vector<ApiKey>> ListKeys() override {
    std::lock_guard lock(mu_);
    return QueryKeys("", "");
  }

  Status RevokeKey(const std::string& id) override {
    std::lock_guard lock(mu_);
    Stmt st;
    BR_RETURN_IF_ERROR(Prepare("UPDATE api_keys SET revoked = 1 WHERE id = ?", st));
    sqlite3_bind_text(st.get(), 1, id.c_str(), -1, SQLITE_STATIC);
    if (sqlite3_step(st.get()) != SQLITE_DONE) return Error("revoke key");
    return sqlite3_changes(db_) ? Status::OK() : Status::NotFound("no key with id " + id);
  }

  Status PutMeta(const std::string& key, const std::string& value) override {
    std::lock_guard lock(mu_);
    Stmt st;
    BR_RETURN_IF_ERROR(Prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", st));
    sqlite3_bind_text(st.get(), 1, key.c_str(), -1, SQLITE_STATIC);
    sqlite3_bind_text(st.get(), 2, value.c_str(), -1, SQLITE_STATIC);
    return sqlite3_step(st.get()) == SQLITE_DONE ? Status::OK() : Error("put meta");
  }

  Result<std::string> GetMeta(const std::string& key) override {
    std::lock_guard lock(mu_);
    Stmt st;
    BR_RETURN_IF_ERROR(Prepare("SELECT value FROM meta WHERE key = ?", st));
    sqlite3_bind_text(st.get(), 1, key.c_str(), -1, SQLITE_STATIC);
    if (sqlite3_step(st.get()) != SQLITE_ROW) return Status::NotFound("no meta " + key);
    return Text(st.get(), 0);
  }

 private:
  Result<std::vector<ApiKey>> QueryKeys(const std::string& where, const std::string& arg) {
    Stmt st;
    BR_RETURN_IF_ERROR(Prepare("SELECT id, hash, role, user, label, created, revoked FROM api_keys " + where +
                                   " ORDER BY created",
                               st));
    if (!where.empty()) sqlite3_bind_text(st.get(), 1, arg.c_str(), -1, SQLITE_STATIC);
    std::vector<ApiKey> out;
    int rc;
    while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
      sqlite3_stmt* s = st.get();
      out.push_back({Text(s, 0), Text(s, 1), Text(s, 2), Text(s, 3), Text(s, 4), sqlite3_column_int64(s, 5),
                     sqlite3_column_int(s, 6) != 0});
    }
    if (rc != SQLITE_DONE) return Error("list keys");
    return out;
  }

  Status Exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string m = err ? err : "unknown error";
      sqlite3_free(err);
      return Status::IOError("sqlite: " + m);
    }
    return Status::OK();
  }

  Status Prepare(const std::string& sql, Stmt& st) {
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, st.out(), nullptr) != SQLITE_OK) return Error("prepare");
    return Status::OK();
  }

  Status Error(const char* what) { return Status::IOError(std::string("sqlite ") + what + ": " + sqlite3_errmsg(db_)); }

  // Guards db_ and insert_: the connection is opened without SQLite's own
  // mutex (which would be taken on every column read), so every use of it
  // holds this lock instead.
  std::mutex mu_;
  sqlite3* db_;
  Stmt insert_;    // guarded by mu_
};

}  // namespace

Status Store::ScanEventBatches(TimeMs from, const std::function<Status(std::span<const model::Event>)>& fn) {
  constexpr size_t kBatch = 8192;
  std::vector<model::Event> batch;
  batch.reserve(kBatch);
  BR_RETURN_IF_ERROR(ScanEvents(from, [&](const model::Event& e) {
    batch.push_back(e);
    if (batch.size() < kBatch) return Status::OK();
    Status st = fn(batch);
    batch.clear();
    return st;
  }));
  return batch.empty() ? Status::OK() : fn(batch);
}

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path, SqliteOptions opts) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string m = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close_v2(db);
    return Status::IOError("cannot open database " + path + ": " + m);
  }
  sqlite3_busy_timeout(db, 10000);
  auto store = std::make_unique<SqliteStore>(db);
  Status st = store->Init(opts);
  if (!st.ok()) return Status::IOError(path + ": " + st.message());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace burnrate::store
