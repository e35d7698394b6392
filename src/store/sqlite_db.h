// SqliteDb and SqliteStmt: the one way burnrate opens and speaks to its
// SQLite database file.
//
// Every table burnrate keeps (events, keys, meta, governance, flags,
// badges, OTLP state) is reached through a connection opened by
// SqliteDb::Open, which sets the durability rule in one place:
//   journal_mode=WAL, synchronous=FULL — a COMMIT returns only after the
//   WAL has been fsynced, so every write acknowledged to a client (an
//   ingest answer, a policy, a review, an audit entry written durably, an
//   OTLP body's series state) survives a crash or `kill -9`.
// Benchmarks alone may ask for synchronous=OFF (SqliteOptions).
//
// Ownership and threads: a SqliteDb owns its connection. Opened kSerialized
// (SQLite's own mutex) it may be used from any thread; opened kCallerLocks
// the owner holds its own lock around every use (the event store, whose
// column reads would otherwise take SQLite's mutex each). Each domain
// store has its own connection, so WAL readers of one never wait for
// another's commit; writers serialise on SQLite's write lock, waiting up to
// kBusyTimeoutMs.
//
// SqliteStmt is a prepared statement that finalises itself, with bind,
// step and column helpers; the event store and every domain store use it.
// Errors: IOError "<owner>: <what>: <SQLite's message>".
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "store/store.h"

namespace burnrate::store {

class SqliteDb {
 public:
  enum class Threading { kSerialized, kCallerLocks };
  static constexpr int kBusyTimeoutMs = 10000;

  // Opens (creating unless opts.read_only) the database at `path` (":memory:"
  // works) and applies the durability pragmas above; a read-only open sets
  // none and writes nothing. Fails on a file that is not SQLite. `owner`
  // names the caller in errors ("govern db", "badges", ...).
  static Result<std::unique_ptr<SqliteDb>> Open(const std::string& path, const SqliteOptions& opts,
                                                std::string owner,
                                                Threading threading = Threading::kSerialized);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  sqlite3* get() const { return db_; }
  const std::string& owner() const { return owner_; }
  // Runs one or more statements without results.
  Status Exec(const std::string& sql);
  // IOError "<owner>: <what>: <last error of this connection>".
  Status Error(std::string_view what) const;
  // BEGIN IMMEDIATE; fn; COMMIT — or ROLLBACK and fn's error.
  Status Transaction(const std::function<Status()>& fn);
  int64_t LastInsertId() const { return sqlite3_last_insert_rowid(db_); }
  int64_t Changes() const { return sqlite3_changes64(db_); }
  bool HasTable(const std::string& name);
  bool HasColumn(const std::string& table, const std::string& column);

 private:
  SqliteDb(sqlite3* db, std::string owner) : db_(db), owner_(std::move(owner)) {}
  sqlite3* db_;
  std::string owner_;
};

class SqliteStmt {
 public:
  SqliteStmt() = default;
  // Prepares at once; ok() says whether it did.
  SqliteStmt(sqlite3* db, std::string_view sql) { (void)Prepare(db, sql); }
  SqliteStmt(const SqliteDb& db, std::string_view sql) : SqliteStmt(db.get(), sql) {}
  ~SqliteStmt() { sqlite3_finalize(s_); }
  SqliteStmt(const SqliteStmt&) = delete;
  SqliteStmt& operator=(const SqliteStmt&) = delete;

  // Replaces any statement held. IOError with SQLite's message.
  Status Prepare(sqlite3* db, std::string_view sql);
  bool ok() const { return s_ != nullptr; }
  sqlite3_stmt* get() const { return s_; }

  // Binds copy the value (SQLITE_TRANSIENT) unless named ...Ref, which
  // borrow it until the next Reset or Step: the caller keeps it alive.
  SqliteStmt& Text(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  SqliteStmt& TextRef(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  SqliteStmt& BlobRef(int i, std::string_view v) {
    sqlite3_bind_blob(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  SqliteStmt& Int(int i, int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  SqliteStmt& Real(int i, double v) {
    sqlite3_bind_double(s_, i, v);
    return *this;
  }

  // sqlite3_step: SQLITE_ROW, SQLITE_DONE or an error code.
  int Step() { return sqlite3_step(s_); }
  // Steps a statement without rows; false on an error.
  bool Done() { return Step() == SQLITE_DONE; }
  // Ready to bind and step again (bindings are kept).
  SqliteStmt& Reset() {
    sqlite3_reset(s_);
    return *this;
  }

  // Column i of the current row: text ("" for NULL), integers, a real.
  std::string Col(int i) const {
    const unsigned char* t = sqlite3_column_text(s_, i);
    return t ? std::string(reinterpret_cast<const char*>(t),
                           static_cast<size_t>(sqlite3_column_bytes(s_, i)))
             : "";
  }
  // The same, assigned in place (reuses the string's buffer across rows).
  void ColInto(int i, std::string* out) const {
    const unsigned char* t = sqlite3_column_text(s_, i);
    if (t == nullptr) return out->clear();
    out->assign(reinterpret_cast<const char*>(t), static_cast<size_t>(sqlite3_column_bytes(s_, i)));
  }
  int64_t Int64(int i) const { return sqlite3_column_int64(s_, i); }
  bool Bool(int i) const { return sqlite3_column_int64(s_, i) != 0; }
  double Double(int i) const { return sqlite3_column_double(s_, i); }
  // Valid until the next Step or Reset.
  std::string_view Blob(int i) const {
    const void* p = sqlite3_column_blob(s_, i);
    return p ? std::string_view(static_cast<const char*>(p),
                                static_cast<size_t>(sqlite3_column_bytes(s_, i)))
             : std::string_view();
  }

 private:
  sqlite3_stmt* s_ = nullptr;
};

}  // namespace burnrate::store
