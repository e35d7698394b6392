#include "store/postgres/pg_db.h"

#include <endian.h>
#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <cstring>
#include <thread>

namespace burnrate::store {

int64_t PgResult::Int64(int row, int col) const {
  const char* p = PQgetvalue(r_, row, col);
  int64_t v = 0;
  std::from_chars(p, p + PQgetlength(r_, row, col), v);
  return v;
}

double PgResult::Double(int row, int col) const {
  return std::strtod(PQgetvalue(r_, row, col), nullptr);
}

int64_t PgResult::Affected() const {
  const char* n = r_ ? PQcmdTuples(r_) : "";
  return *n ? std::strtoll(n, nullptr, 10) : 0;
}

int64_t PgResult::BinInt64(int row, int col) const {
  uint64_t v = 0;
  if (PQgetlength(r_, row, col) != 8) return 0;
  std::memcpy(&v, PQgetvalue(r_, row, col), 8);
  return int64_t(be64toh(v));
}

std::string PgInt(int64_t v) { return std::to_string(v); }
std::string PgDouble(double v) { return fmt::format("{}", v); }

Result<std::unique_ptr<PgDb>> PgDb::Open(const std::string& conninfo, std::string owner) {
  PGconn* c = PQconnectdb(conninfo.c_str());
  if (c == nullptr) return Status::IOError(owner + ": out of memory");
  std::unique_ptr<PgDb> db(new PgDb(c, std::move(owner)));
  if (PQstatus(c) != CONNECTION_OK)
    return Status::IOError(db->owner_ + ": cannot connect: " + PQerrorMessage(c));
  // CREATE ... IF NOT EXISTS notices ("already exists, skipping") are noise.
  BR_RETURN_IF_ERROR(db->Exec("SET client_min_messages = warning"));
  BR_ASSIGN_OR_RETURN(PgResult r, db->Query("SHOW synchronous_commit"));
  if (r.rows() != 1 || r.Str(0, 0) == "off")
    return Status::IOError(db->owner_ +
                           ": the server has synchronous_commit=off: acknowledged "
                           "writes could be lost; burnrate needs it on");
  return db;
}

PgDb::~PgDb() { PQfinish(conn_); }

Status PgDb::Error(std::string_view what, const PGresult* r) const {
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  last_sqlstate_ = state ? state : "";
  std::string m = r ? PQresultErrorMessage(r) : PQerrorMessage(conn_);
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  return Status::IOError(owner_ + ": " + std::string(what) + ": " + m);
}

std::string PgTextArray(const std::vector<std::string_view>& v) {
  std::string out = "{";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : v[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

std::string PgIntArray(const std::vector<int64_t>& v) {
  std::string out = "{";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + std::to_string(v[i]);
  return out + "}";
}

// A connection broken by a server restart is reset here, so the store
// resumes by itself once the server is back.
Status PgDb::Ready() {
  if (PQstatus(conn_) == CONNECTION_OK) return Status::OK();
  PQreset(conn_);
  if (PQstatus(conn_) == CONNECTION_OK) return Status::OK();
  return Error("reconnect", nullptr);
}

Status PgDb::Exec(const std::string& sql) {
  BR_RETURN_IF_ERROR(Ready());
  PgResult r(PQexec(conn_, sql.c_str()));
  if (r.status() != PGRES_COMMAND_OK && r.status() != PGRES_TUPLES_OK)
    return Error("exec", r.get());
  return Status::OK();
}

Result<PgResult> PgDb::Query(const std::string& sql, const std::vector<std::string>& params) {
  BR_RETURN_IF_ERROR(Ready());
  std::vector<const char*> values;
  std::vector<int> lengths;
  values.reserve(params.size()), lengths.reserve(params.size());
  for (const std::string& p : params) {
    values.push_back(p.c_str());
    lengths.push_back(int(p.size()));
  }
  PgResult r(PQexecParams(conn_, sql.c_str(), int(params.size()), nullptr, values.data(),
                          lengths.data(), nullptr, 0));
  if (r.status() != PGRES_COMMAND_OK && r.status() != PGRES_TUPLES_OK)
    return Error("query", r.get());
  return r;
}

Result<PgResult> PgDb::QueryFormats(const std::string& sql,
                                    const std::vector<std::string_view>& params,
                                    const std::vector<int>& formats, bool binary_result) {
  BR_RETURN_IF_ERROR(Ready());
  std::vector<const char*> values;
  std::vector<int> lengths;
  values.reserve(params.size()), lengths.reserve(params.size());
  for (std::string_view p : params) {
    values.push_back(p.data());
    lengths.push_back(int(p.size()));
  }
  PgResult r(PQexecParams(conn_, sql.c_str(), int(params.size()), nullptr, values.data(),
                          lengths.data(), formats.data(), binary_result ? 1 : 0));
  if (r.status() != PGRES_COMMAND_OK && r.status() != PGRES_TUPLES_OK)
    return Error("query", r.get());
  return r;
}

Status PgDb::CopyIn(const std::string& copy_sql, std::string_view data) {
  BR_RETURN_IF_ERROR(Ready());
  PgResult start(PQexec(conn_, copy_sql.c_str()));
  if (start.status() != PGRES_COPY_IN) return Error("copy", start.get());
  bool sent =
      PQputCopyData(conn_, data.data(), int(data.size())) == 1 && PQputCopyEnd(conn_, nullptr) == 1;
  // The COPY's result, then the null that ends it (read even after a
  // failed send, so the connection is ready for the next statement).
  PgResult end(PQgetResult(conn_));
  while (PGresult* extra = PQgetResult(conn_)) PQclear(extra);
  if (!sent) return Error("copy data", nullptr);
  if (end.status() != PGRES_COMMAND_OK) return Error("copy", end.get());
  return Status::OK();
}

Status PgDb::Transaction(const std::function<Status()>& fn) {
  BR_RETURN_IF_ERROR(Exec("BEGIN"));
  Status st = fn();
  if (!st.ok()) {
    (void)Exec("ROLLBACK");  // the error to report is fn's, not the rollback's
    return st;
  }
  return Exec("COMMIT");
}

// `CREATE INDEX IF NOT EXISTS` locks its table (ShareLock) before it finds
// the index there, so a node opening the store while another appends (ids,
// then block) can deadlock with it; PostgreSQL then cancels one of the two.
// The appender retries its side; this retries the schema's.
Status PgDb::EnsureSchema(const std::string& ddl) {
  Status st;
  for (int attempt = 0; attempt < 20; ++attempt) {
    st = Transaction([&] {
      BR_RETURN_IF_ERROR(Exec("SELECT pg_advisory_xact_lock(4242001)"));
      return Exec(ddl);
    });
    if (st.ok() || last_sqlstate_ != "40P01") return st;
    std::this_thread::sleep_for(std::chrono::milliseconds(10 * (attempt + 1)));
  }
  return st;
}

}  // namespace burnrate::store
