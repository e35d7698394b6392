// PgDb and PgResult: the one way burnrate speaks to PostgreSQL (libpq).
//
// Durability: PostgreSQL's defaults (fsync=on, synchronous_commit=on) make
// a COMMIT return only after its WAL record is flushed, the same promise
// as SQLite's synchronous=FULL (sqlite_db.h); Open refuses a server whose
// synchronous_commit is off, so an acknowledged write is never only in
// memory.
//
// Ownership and threads: a PgDb owns one connection and is NOT thread-safe
// (libpq connections are not); the store that owns it holds its own mutex
// around every call. A connection found broken is reset before the next
// statement (PostgreSQL restarted); the statement that found it broken
// fails with IOError.
//
// Parameters go as text ($1, $2, ...), results come back as text; the
// helpers convert integers and doubles exactly (doubles as the shortest
// text that reads back to the same value).
// Errors: IOError "<owner>: <what>: <PostgreSQL's message>".
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace burnrate::store {

class PgResult {
 public:
  explicit PgResult(PGresult* r = nullptr) : r_(r) {}
  PgResult(PgResult&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  PgResult& operator=(PgResult&& o) noexcept {
    std::swap(r_, o.r_);
    return *this;
  }
  ~PgResult() { PQclear(r_); }

  ExecStatusType status() const { return PQresultStatus(r_); }
  const PGresult* get() const { return r_; }
  int rows() const { return r_ ? PQntuples(r_) : 0; }
  std::string Str(int row, int col) const {
    return std::string(PQgetvalue(r_, row, col), size_t(PQgetlength(r_, row, col)));
  }
  int64_t Int64(int row, int col) const;
  double Double(int row, int col) const;
  bool Bool(int row, int col) const { return Int64(row, col) != 0; }
  // Rows changed by an INSERT/UPDATE/DELETE.
  int64_t Affected() const;
  // Columns of a result asked for in binary (PgDb::QueryBinary): bigint in
  // network order, bytea as its bytes (valid while the result lives).
  int64_t BinInt64(int row, int col) const;
  std::string_view Bytes(int row, int col) const {
    return {PQgetvalue(r_, row, col), size_t(PQgetlength(r_, row, col))};
  }

 private:
  PGresult* r_;
};

// A statement parameter as text.
std::string PgInt(int64_t v);
// PostgreSQL array literals, to send a whole batch as one parameter
// (`unnest($1::text[], $2::bigint[])`): one round trip instead of one a row.
std::string PgTextArray(const std::vector<std::string_view>& v);  // {"a","b\"c"}
std::string PgIntArray(const std::vector<int64_t>& v);            // {1,-2}
std::string PgDouble(double v);

class PgDb {
 public:
  // `conninfo`: a libpq connection string or postgresql:// URL.
  static Result<std::unique_ptr<PgDb>> Open(const std::string& conninfo, std::string owner);
  ~PgDb();
  PgDb(const PgDb&) = delete;
  PgDb& operator=(const PgDb&) = delete;

  // Runs one or more statements without parameters or results.
  Status Exec(const std::string& sql);
  // One statement with text parameters; rows (possibly none) or IOError.
  Result<PgResult> Query(const std::string& sql, const std::vector<std::string>& params = {});
  // The same with each parameter's format (0 text, 1 binary: bytea's raw
  // bytes, no hex) and the result's (binary when `binary_result`).
  Result<PgResult> QueryFormats(const std::string& sql, const std::vector<std::string_view>& params,
                                const std::vector<int>& formats, bool binary_result);
  // COPY ... FROM STDIN with `data` as the whole stream (in the COPY's
  // format), in one round trip after the COPY's start; OK or IOError (its
  // SQLSTATE in last_sqlstate(), e.g. 23505 for a unique key already held).
  Status CopyIn(const std::string& copy_sql, std::string_view data);
  // The SQLSTATE of the last failed statement ("" when none), e.g. 40P01
  // (deadlock detected) for a caller that retries.
  const std::string& last_sqlstate() const { return last_sqlstate_; }
  // BEGIN; fn; COMMIT — or ROLLBACK and fn's error.
  Status Transaction(const std::function<Status()>& fn);
  // Runs `ddl` (CREATE ... IF NOT EXISTS) once at a time across every
  // connection (an advisory lock), so nodes starting together do not race.
  Status EnsureSchema(const std::string& ddl);

 private:
  PgDb(PGconn* c, std::string owner) : conn_(c), owner_(std::move(owner)) {}
  Status Ready();
  Status Error(std::string_view what, const PGresult* r) const;

  PGconn* conn_;
  std::string owner_;
  mutable std::string last_sqlstate_;
};

}  // namespace burnrate::store
