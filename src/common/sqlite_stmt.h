// SqliteStmt: a prepared SQLite statement that finalizes itself, with the
// binds and column reads of the small tables the layers keep beside the
// event store (governance, detection flags, OTLP state, badges). The event
// store (store/sqlite_store.cc) keeps its own statement cache.
//
// Header-only: a layer that includes it links SQLite itself.
// Errors: ok() is false when the SQL did not prepare; SqliteError() words
// the connection's last error.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace burnrate {

class SqliteStmt {
 public:
  SqliteStmt(sqlite3* db, std::string_view sql)
      : rc_(sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &s_, nullptr)) {}
  ~SqliteStmt() { sqlite3_finalize(s_); }
  SqliteStmt(const SqliteStmt&) = delete;
  SqliteStmt& operator=(const SqliteStmt&) = delete;

  bool ok() const { return rc_ == SQLITE_OK && s_ != nullptr; }
  sqlite3_stmt* get() const { return s_; }

  SqliteStmt& Text(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
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
  // Column i of the current row as text ("" for NULL).
  std::string Col(int i) const {
    const unsigned char* t = sqlite3_column_text(s_, i);
    return t ? std::string(reinterpret_cast<const char*>(t),
                           static_cast<size_t>(sqlite3_column_bytes(s_, i)))
             : "";
  }

 private:
  sqlite3_stmt* s_ = nullptr;
  int rc_;
};

// IOError "<owner>: <what>: <SQLite's message for db>".
inline Status SqliteError(sqlite3* db, std::string_view owner, std::string_view what) {
  return Status::IOError(std::string(owner) + ": " + std::string(what) + ": " + sqlite3_errmsg(db));
}

}  // namespace burnrate
