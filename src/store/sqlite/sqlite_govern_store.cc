// SQLite implementation of governance's stores (govern/govern_stores.h):
// four tables prefixed govern_ on one connection, serialised by mu_.
// Audit rows are append-only in the schema itself (triggers refuse UPDATE
// and DELETE), so not even a bug here can rewrite history.
#include "store/sqlite/sqlite_stores.h"
#include "store/sqlite_db.h"

namespace burnrate::store {

using govern::AuditEntry;
using govern::AuditFilter;
using govern::DeliveryFilter;
using govern::DeliveryRecord;
using govern::PolicyVersion;

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS govern_audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  ts INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  subject TEXT NOT NULL,
  reason TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS govern_audit_ts ON govern_audit(ts);
CREATE INDEX IF NOT EXISTS govern_audit_subject ON govern_audit(subject, ts);
CREATE TRIGGER IF NOT EXISTS govern_audit_no_update BEFORE UPDATE ON govern_audit
  BEGIN SELECT RAISE(ABORT, 'govern_audit is append-only'); END;
CREATE TRIGGER IF NOT EXISTS govern_audit_no_delete BEFORE DELETE ON govern_audit
  BEGIN SELECT RAISE(ABORT, 'govern_audit is append-only'); END;
CREATE TABLE IF NOT EXISTS govern_policies (
  id TEXT NOT NULL,
  version INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  actor TEXT NOT NULL,
  deleted INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (id, version)
);
CREATE TABLE IF NOT EXISTS govern_deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  policy TEXT NOT NULL,
  subject TEXT NOT NULL,
  pct INTEGER NOT NULL,
  alert_ts INTEGER NOT NULL,
  text TEXT NOT NULL,
  url TEXT NOT NULL,
  slack INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  status INTEGER NOT NULL,
  last_error TEXT NOT NULL,
  state TEXT NOT NULL,
  created INTEGER NOT NULL,
  updated INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS govern_deliveries_state ON govern_deliveries(state, id);
CREATE TABLE IF NOT EXISTS govern_alerts_fired (
  key TEXT PRIMARY KEY,
  until INTEGER NOT NULL
);
)sql";

Status DbError(sqlite3* db, const char* what) {
  return Status::IOError(std::string("govern db: ") + what + ": " + sqlite3_errmsg(db));
}

}  // namespace

Result<std::unique_ptr<SqliteGovernStore>> SqliteGovernStore::Open(const std::string& path,
                                                                   const SqliteOptions& opts) {
  BR_ASSIGN_OR_RETURN(auto db, SqliteDb::Open(path, opts, "govern db"));
  BR_RETURN_IF_ERROR(db->Exec(kSchema));
  return std::unique_ptr<SqliteGovernStore>(new SqliteGovernStore(std::move(db)));
}

SqliteGovernStore::SqliteGovernStore(std::unique_ptr<SqliteDb> db)
    : conn_(std::move(db)), db_(conn_->get()) {}
SqliteGovernStore::~SqliteGovernStore() = default;

Status SqliteGovernStore::Exec(const char* sql) { return conn_->Exec(sql); }

Status SqliteGovernStore::AppendAudit(std::vector<AuditEntry>& entries) {
  std::lock_guard<std::mutex> l(mu_);
  BR_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  SqliteStmt st(
      db_,
      "INSERT INTO govern_audit(ts, actor, action, subject, reason, detail) VALUES(?,?,?,?,?,?)");
  if (!st.ok()) {
    Status error = DbError(db_, "prepare insert");
    (void)Exec("ROLLBACK");  // the error to report is the insert's, not the rollback's
    return error;
  }
  for (AuditEntry& e : entries) {
    sqlite3_reset(st.get());
    st.Int(1, e.ts), st.Text(2, e.actor), st.Text(3, e.action), st.Text(4, e.subject);
    st.Text(5, e.reason), st.Text(6, e.detail);
    if (sqlite3_step(st.get()) != SQLITE_DONE) {
      Status s = DbError(db_, "insert audit");
      (void)Exec("ROLLBACK");  // the error to report is the insert's, not the rollback's
      return s;
    }
    e.id = sqlite3_last_insert_rowid(db_);
  }
  return Exec("COMMIT");
}

Result<std::vector<AuditEntry>> SqliteGovernStore::QueryAudit(const AuditFilter& f) {
  std::string sql =
      "SELECT id, ts, actor, action, subject, reason, detail FROM govern_audit WHERE 1=1";
  if (!f.actor.empty()) sql += " AND actor = ?1";
  if (!f.action.empty()) sql += " AND action = ?2";
  if (!f.subject.empty()) sql += " AND subject = ?3";
  if (f.from > 0) sql += " AND ts >= ?4";
  if (f.to > 0) sql += " AND ts < ?5";
  if (f.before_id > 0) sql += " AND id < ?6";
  sql += " ORDER BY id DESC LIMIT ?7";
  std::lock_guard<std::mutex> l(mu_);
  SqliteStmt st(db_, sql);
  if (!st.ok()) return DbError(db_, "prepare query");
  if (!f.actor.empty()) st.Text(1, f.actor);
  if (!f.action.empty()) st.Text(2, f.action);
  if (!f.subject.empty()) st.Text(3, f.subject);
  if (f.from > 0) st.Int(4, f.from);
  if (f.to > 0) st.Int(5, f.to);
  if (f.before_id > 0) st.Int(6, f.before_id);
  st.Int(7, f.limit);
  std::vector<AuditEntry> out;
  int rc;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
    AuditEntry e;
    e.id = sqlite3_column_int64(st.get(), 0);
    e.ts = sqlite3_column_int64(st.get(), 1);
    e.actor = st.Col(2), e.action = st.Col(3), e.subject = st.Col(4);
    e.reason = st.Col(5), e.detail = st.Col(6);
    out.push_back(std::move(e));
  }
  if (rc != SQLITE_DONE) return DbError(db_, "query audit");
  return out;
}

Status SqliteGovernStore::SavePolicyVersion(const PolicyVersion& v) {
  std::lock_guard<std::mutex> l(mu_);
  SqliteStmt st(
      db_,
      "INSERT INTO govern_policies(id, version, ts, actor, deleted, body) VALUES(?,?,?,?,?,?)");
  if (!st.ok()) return DbError(db_, "prepare policy insert");
  st.Text(1, v.id), st.Int(2, v.version), st.Int(3, v.ts), st.Text(4, v.actor);
  st.Int(5, v.deleted ? 1 : 0), st.Text(6, v.body);
  if (sqlite3_step(st.get()) != SQLITE_DONE) return DbError(db_, "insert policy");
  return Status::OK();
}

static Result<std::vector<PolicyVersion>> ReadVersions(sqlite3* db, const std::string& sql,
                                                       const std::string* id) {
  SqliteStmt st(db, sql);
  if (!st.ok()) return DbError(db, "prepare policy query");
  if (id) st.Text(1, *id);
  std::vector<PolicyVersion> out;
  int rc;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
    PolicyVersion v;
    v.id = st.Col(0);
    v.version = sqlite3_column_int64(st.get(), 1);
    v.ts = sqlite3_column_int64(st.get(), 2);
    v.actor = st.Col(3);
    v.deleted = sqlite3_column_int(st.get(), 4) != 0;
    v.body = st.Col(5);
    out.push_back(std::move(v));
  }
  if (rc != SQLITE_DONE) return DbError(db, "query policies");
  return out;
}

Result<std::vector<PolicyVersion>> SqliteGovernStore::LatestPolicies() {
  std::lock_guard<std::mutex> l(mu_);
  return ReadVersions(
      db_,
      "SELECT p.id, p.version, p.ts, p.actor, p.deleted, p.body FROM govern_policies p "
      "JOIN (SELECT id, MAX(version) v FROM govern_policies GROUP BY id) m "
      "ON p.id = m.id AND p.version = m.v ORDER BY p.id",
      nullptr);
}

Result<std::vector<PolicyVersion>> SqliteGovernStore::PolicyHistory(const std::string& id) {
  std::lock_guard<std::mutex> l(mu_);
  return ReadVersions(db_,
                      "SELECT id, version, ts, actor, deleted, body FROM govern_policies "
                      "WHERE id = ?1 ORDER BY version",
                      &id);
}

Status SqliteGovernStore::InsertDelivery(DeliveryRecord& d) {
  std::lock_guard<std::mutex> l(mu_);
  SqliteStmt st(db_,
                "INSERT INTO govern_deliveries(kind, policy, subject, pct, alert_ts, text, url, "
                "slack, attempts, status, "
                "last_error, state, created, updated) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  if (!st.ok()) return DbError(db_, "prepare delivery insert");
  st.Text(1, d.kind), st.Text(2, d.policy), st.Text(3, d.subject), st.Int(4, d.pct),
      st.Int(5, d.alert_ts);
  st.Text(6, d.text), st.Text(7, d.url), st.Int(8, d.slack ? 1 : 0), st.Int(9, d.attempts),
      st.Int(10, d.status);
  st.Text(11, d.last_error), st.Text(12, d.state), st.Int(13, d.created), st.Int(14, d.updated);
  if (sqlite3_step(st.get()) != SQLITE_DONE) return DbError(db_, "insert delivery");
  d.id = sqlite3_last_insert_rowid(db_);
  return Status::OK();
}

Status SqliteGovernStore::UpdateDelivery(const DeliveryRecord& d) {
  std::lock_guard<std::mutex> l(mu_);
  SqliteStmt st(db_,
                "UPDATE govern_deliveries SET attempts=?, status=?, last_error=?, state=?, "
                "updated=? WHERE id=?");
  if (!st.ok()) return DbError(db_, "prepare delivery update");
  st.Int(1, d.attempts), st.Int(2, d.status), st.Text(3, d.last_error), st.Text(4, d.state),
      st.Int(5, d.updated);
  st.Int(6, d.id);
  if (sqlite3_step(st.get()) != SQLITE_DONE) return DbError(db_, "update delivery");
  return Status::OK();
}

Result<std::vector<DeliveryRecord>> SqliteGovernStore::QueryDeliveries(const DeliveryFilter& f) {
  std::string sql =
      "SELECT id, kind, policy, subject, pct, alert_ts, text, url, slack, attempts, status, "
      "last_error, state, "
      "created, updated FROM govern_deliveries WHERE 1=1";
  if (!f.state.empty()) sql += " AND state = ?1";
  if (!f.kind.empty()) sql += " AND kind = ?2";
  if (!f.subject.empty()) sql += " AND subject = ?3";
  if (f.from > 0) sql += " AND created >= ?4";
  if (f.to > 0) sql += " AND created < ?5";
  if (f.before_id > 0) sql += " AND id < ?6";
  sql += " ORDER BY id DESC LIMIT ?7";
  std::lock_guard<std::mutex> l(mu_);
  SqliteStmt st(db_, sql);
  if (!st.ok()) return DbError(db_, "prepare delivery query");
  if (!f.state.empty()) st.Text(1, f.state);
  if (!f.kind.empty()) st.Text(2, f.kind);
  if (!f.subject.empty()) st.Text(3, f.subject);
  if (f.from > 0) st.Int(4, f.from);
  if (f.to > 0) st.Int(5, f.to);
  if (f.before_id > 0) st.Int(6, f.before_id);
  st.Int(7, f.limit);
  std::vector<DeliveryRecord> out;
  int rc;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
    sqlite3_stmt* q = st.get();
    DeliveryRecord d;
    d.id = sqlite3_column_int64(q, 0);
    d.kind = st.Col(1), d.policy = st.Col(2), d.subject = st.Col(3);
    d.pct = sqlite3_column_int(q, 4);
    d.alert_ts = sqlite3_column_int64(q, 5);
    d.text = st.Col(6), d.url = st.Col(7);
    d.slack = sqlite3_column_int(q, 8) != 0;
    d.attempts = sqlite3_column_int(q, 9), d.status = sqlite3_column_int(q, 10);
    d.last_error = st.Col(11), d.state = st.Col(12);
    d.created = sqlite3_column_int64(q, 13), d.updated = sqlite3_column_int64(q, 14);
    out.push_back(std::move(d));
  }
  if (rc != SQLITE_DONE) return DbError(db_, "query deliveries");
  return out;
}

Status SqliteGovernStore::SaveFiredAlert(const std::string& key, TimeMs until) {
  std::lock_guard<std::mutex> l(mu_);
  SqliteStmt st(db_, "INSERT OR REPLACE INTO govern_alerts_fired(key, until) VALUES(?,?)");
  if (!st.ok()) return DbError(db_, "prepare fired alert");
  st.Text(1, key), st.Int(2, until);
  if (sqlite3_step(st.get()) != SQLITE_DONE) return DbError(db_, "insert fired alert");
  return Status::OK();
}

Result<std::vector<std::pair<std::string, TimeMs>>> SqliteGovernStore::FiredAlerts() {
  std::lock_guard<std::mutex> l(mu_);
  SqliteStmt st(db_, "SELECT key, until FROM govern_alerts_fired");
  if (!st.ok()) return DbError(db_, "prepare fired alerts");
  std::vector<std::pair<std::string, TimeMs>> out;
  int rc;
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW)
    out.emplace_back(st.Col(0), sqlite3_column_int64(st.get(), 1));
  if (rc != SQLITE_DONE) return DbError(db_, "query fired alerts");
  return out;
}

Status SqliteGovernStore::PruneDeliveries(TimeMs before) {
  std::lock_guard<std::mutex> l(mu_);
  SqliteStmt st(db_, "DELETE FROM govern_deliveries WHERE state != 'pending' AND updated < ?");
  if (!st.ok()) return DbError(db_, "prepare delivery prune");
  st.Int(1, before);
  if (sqlite3_step(st.get()) != SQLITE_DONE) return DbError(db_, "prune deliveries");
  return Status::OK();
}

Status SqliteGovernStore::PruneFiredAlerts(TimeMs before) {
  std::lock_guard<std::mutex> l(mu_);
  SqliteStmt st(db_, "DELETE FROM govern_alerts_fired WHERE until < ?");
  if (!st.ok()) return DbError(db_, "prepare fired alert prune");
  st.Int(1, before);
  if (sqlite3_step(st.get()) != SQLITE_DONE) return DbError(db_, "prune fired alerts");
  return Status::OK();
}

}  // namespace burnrate::store
