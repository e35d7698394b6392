// Governance's stores on PostgreSQL: the SQLite tables (sqlite_govern_store.cc)
// with BIGSERIAL ids and a trigger that keeps govern_audit append-only.
#include "store/postgres/pg_db.h"
#include "store/postgres/pg_stores.h"

namespace burnrate::store {
namespace {

using govern::AuditEntry;
using govern::AuditFilter;
using govern::DeliveryFilter;
using govern::DeliveryRecord;
using govern::PolicyVersion;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS govern_audit (
  id BIGSERIAL PRIMARY KEY, ts BIGINT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
  subject TEXT NOT NULL, reason TEXT NOT NULL, detail TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS govern_audit_ts ON govern_audit(ts);
CREATE INDEX IF NOT EXISTS govern_audit_subject ON govern_audit(subject, ts);
CREATE OR REPLACE FUNCTION govern_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN RAISE EXCEPTION 'govern_audit is append-only'; END $$;
CREATE OR REPLACE TRIGGER govern_audit_append_only BEFORE UPDATE OR DELETE ON govern_audit
  FOR EACH ROW EXECUTE FUNCTION govern_audit_append_only();
CREATE TABLE IF NOT EXISTS govern_policies (
  id TEXT NOT NULL, version BIGINT NOT NULL, ts BIGINT NOT NULL, actor TEXT NOT NULL,
  deleted INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (id, version));
CREATE TABLE IF NOT EXISTS govern_deliveries (
  id BIGSERIAL PRIMARY KEY, kind TEXT NOT NULL, policy TEXT NOT NULL, subject TEXT NOT NULL,
  pct INTEGER NOT NULL, alert_ts BIGINT NOT NULL, text TEXT NOT NULL, url TEXT NOT NULL,
  slack INTEGER NOT NULL, attempts INTEGER NOT NULL, status INTEGER NOT NULL,
  last_error TEXT NOT NULL, state TEXT NOT NULL, created BIGINT NOT NULL, updated BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS govern_deliveries_state ON govern_deliveries(state, id);
CREATE TABLE IF NOT EXISTS govern_alerts_fired (key TEXT PRIMARY KEY, until BIGINT NOT NULL);
)sql";

// Builds "WHERE ... AND col op $n" with its parameters.
class Where {
 public:
  void Add(bool set, const char* clause, std::string value) {
    if (!set) return;
    params_.push_back(std::move(value));
    sql_ += " AND " + std::string(clause) + " $" + std::to_string(params_.size());
  }
  std::string Finish(int limit) {
    params_.push_back(PgInt(limit));
    return " WHERE TRUE" + sql_ + " ORDER BY id DESC LIMIT $" + std::to_string(params_.size());
  }
  const std::vector<std::string>& params() const { return params_; }

 private:
  std::string sql_;
  std::vector<std::string> params_;
};

Result<std::vector<PolicyVersion>> ReadVersions(PgDb& db, const std::string& sql,
                                                const std::vector<std::string>& params) {
  BR_ASSIGN_OR_RETURN(PgResult r, db.Query(sql, params));
  std::vector<PolicyVersion> out;
  for (int i = 0; i < r.rows(); ++i)
    out.push_back(
        {r.Str(i, 0), r.Int64(i, 1), r.Int64(i, 2), r.Str(i, 3), r.Bool(i, 4), r.Str(i, 5)});
  return out;
}

}  // namespace

Result<std::unique_ptr<PgGovernStore>> PgGovernStore::Open(const std::string& conninfo) {
  BR_ASSIGN_OR_RETURN(auto db, PgDb::Open(conninfo, "postgres govern"));
  BR_RETURN_IF_ERROR(db->EnsureSchema(kSchema));
  return std::unique_ptr<PgGovernStore>(new PgGovernStore(std::move(db)));
}

PgGovernStore::PgGovernStore(std::unique_ptr<PgDb> db) : db_(std::move(db)) {}
PgGovernStore::~PgGovernStore() = default;

Status PgGovernStore::AppendAudit(std::vector<AuditEntry>& entries) {
  std::lock_guard lock(mu_);
  if (entries.empty()) return Status::OK();
  std::vector<int64_t> ids;
  // Two round trips for the whole batch (the audit writer groups automatic
  // decisions): the ids, in ascending order as the entries, then one INSERT.
  BR_RETURN_IF_ERROR(db_->Transaction([&]() -> Status {
    BR_ASSIGN_OR_RETURN(
        PgResult r, db_->Query("SELECT nextval(pg_get_serial_sequence('govern_audit', 'id')) AS id "
                               "FROM generate_series(1, $1) ORDER BY id",
                               {PgInt(int64_t(entries.size()))}));
    for (int i = 0; i < r.rows(); ++i) ids.push_back(r.Int64(i, 0));
    std::vector<int64_t> ts;
    std::vector<std::string_view> actor, action, subject, reason, detail;
    for (const AuditEntry& e : entries) {
      ts.push_back(e.ts), actor.push_back(e.actor), action.push_back(e.action);
      subject.push_back(e.subject), reason.push_back(e.reason), detail.push_back(e.detail);
    }
    return db_
        ->Query(
            "INSERT INTO govern_audit (id, ts, actor, action, subject, reason, detail) "
            "SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], "
            "$5::text[], $6::text[], $7::text[])",
            {PgIntArray(ids), PgIntArray(ts), PgTextArray(actor), PgTextArray(action),
             PgTextArray(subject), PgTextArray(reason), PgTextArray(detail)})
        .status();
  }));
  for (size_t i = 0; i < entries.size(); ++i) entries[i].id = ids[i];
  return Status::OK();
}

Result<std::vector<AuditEntry>> PgGovernStore::QueryAudit(const AuditFilter& f) {
  Where w;
  w.Add(!f.actor.empty(), "actor =", f.actor);
  w.Add(!f.action.empty(), "action =", f.action);
  w.Add(!f.subject.empty(), "subject =", f.subject);
  w.Add(f.from > 0, "ts >=", PgInt(f.from));
  w.Add(f.to > 0, "ts <", PgInt(f.to));
  w.Add(f.before_id > 0, "id <", PgInt(f.before_id));
  std::string sql =
      "SELECT id, ts, actor, action, subject, reason, detail FROM govern_audit" + w.Finish(f.limit);
  std::lock_guard lock(mu_);
  BR_ASSIGN_OR_RETURN(PgResult r, db_->Query(sql, w.params()));
  std::vector<AuditEntry> out;
  for (int i = 0; i < r.rows(); ++i)
    out.push_back({r.Int64(i, 0), r.Int64(i, 1), r.Str(i, 2), r.Str(i, 3), r.Str(i, 4), r.Str(i, 5),
                   r.Str(i, 6)});
  return out;
}

Status PgGovernStore::SavePolicyVersion(const PolicyVersion& v) {
  std::lock_guard lock(mu_);
  return db_
      ->Query(
          "INSERT INTO govern_policies (id, version, ts, actor, deleted, body) "
          "VALUES ($1, $2, $3, $4, $5, $6)",
          {v.id, PgInt(v.version), PgInt(v.ts), v.actor, PgInt(v.deleted ? 1 : 0), v.body})
      .status();
}

Result<std::vector<PolicyVersion>> PgGovernStore::LatestPolicies() {
  std::lock_guard lock(mu_);
  return ReadVersions(*db_,
                      "SELECT DISTINCT ON (id) id, version, ts, actor, deleted, body "
                      "FROM govern_policies ORDER BY id, version DESC",
                      {});
}

Result<std::vector<PolicyVersion>> PgGovernStore::PolicyHistory(const std::string& id) {
  std::lock_guard lock(mu_);
  return ReadVersions(*db_,
                      "SELECT id, version, ts, actor, deleted, body FROM govern_policies "
                      "WHERE id = $1 ORDER BY version",
                      {id});
}

Status PgGovernStore::InsertDelivery(DeliveryRecord& d) {
  std::lock_guard lock(mu_);
  BR_ASSIGN_OR_RETURN(
      PgResult r,
      db_->Query("INSERT INTO govern_deliveries (kind, policy, subject, pct, alert_ts, text, url, "
                 "slack, attempts, status, last_error, state, created, updated) VALUES ($1, $2, "
                 "$3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
                 {d.kind, d.policy, d.subject, PgInt(d.pct), PgInt(d.alert_ts), d.text, d.url,
                  PgInt(d.slack ? 1 : 0), PgInt(d.attempts), PgInt(d.status), d.last_error, d.state,
                  PgInt(d.created), PgInt(d.updated)}));
  d.id = r.Int64(0, 0);
  return Status::OK();
}

Status PgGovernStore::UpdateDelivery(const DeliveryRecord& d) {
  std::lock_guard lock(mu_);
  return db_
      ->Query(
          "UPDATE govern_deliveries SET attempts = $1, status = $2, last_error = $3, "
          "state = $4, updated = $5 WHERE id = $6",
          {PgInt(d.attempts), PgInt(d.status), d.last_error, d.state, PgInt(d.updated),
           PgInt(d.id)})
      .status();
}

Result<std::vector<DeliveryRecord>> PgGovernStore::QueryDeliveries(const DeliveryFilter& f) {
  Where w;
  w.Add(!f.state.empty(), "state =", f.state);
  w.Add(!f.kind.empty(), "kind =", f.kind);
  w.Add(!f.subject.empty(), "subject =", f.subject);
  w.Add(f.from > 0, "created >=", PgInt(f.from));
  w.Add(f.to > 0, "created <", PgInt(f.to));
  w.Add(f.before_id > 0, "id <", PgInt(f.before_id));
  std::string sql =
      "SELECT id, kind, policy, subject, pct, alert_ts, text, url, slack, attempts, status, "
      "last_error, state, created, updated FROM govern_deliveries" +
      w.Finish(f.limit);
  std::lock_guard lock(mu_);
  BR_ASSIGN_OR_RETURN(PgResult r, db_->Query(sql, w.params()));
  std::vector<DeliveryRecord> out;
  for (int i = 0; i < r.rows(); ++i) {
    DeliveryRecord d;
    d.id = r.Int64(i, 0);
    d.kind = r.Str(i, 1), d.policy = r.Str(i, 2), d.subject = r.Str(i, 3);
    d.pct = int(r.Int64(i, 4)), d.alert_ts = r.Int64(i, 5);
    d.text = r.Str(i, 6), d.url = r.Str(i, 7), d.slack = r.Bool(i, 8);
    d.attempts = int(r.Int64(i, 9)), d.status = int(r.Int64(i, 10));
    d.last_error = r.Str(i, 11), d.state = r.Str(i, 12);
    d.created = r.Int64(i, 13), d.updated = r.Int64(i, 14);
    out.push_back(std::move(d));
  }
  return out;
}

Status PgGovernStore::PruneDeliveries(TimeMs before) {
  std::lock_guard lock(mu_);
  return db_
      ->Query("DELETE FROM govern_deliveries WHERE state <> 'pending' AND updated < $1",
              {PgInt(before)})
      .status();
}

Status PgGovernStore::SaveFiredAlert(const std::string& key, TimeMs until) {
  std::lock_guard lock(mu_);
  return db_
      ->Query(
          "INSERT INTO govern_alerts_fired (key, until) VALUES ($1, $2) "
          "ON CONFLICT (key) DO UPDATE SET until = excluded.until",
          {key, PgInt(until)})
      .status();
}

Result<std::vector<std::pair<std::string, TimeMs>>> PgGovernStore::FiredAlerts() {
  std::lock_guard lock(mu_);
  BR_ASSIGN_OR_RETURN(PgResult r, db_->Query("SELECT key, until FROM govern_alerts_fired"));
  std::vector<std::pair<std::string, TimeMs>> out;
  for (int i = 0; i < r.rows(); ++i) out.emplace_back(r.Str(i, 0), r.Int64(i, 1));
  return out;
}

Status PgGovernStore::PruneFiredAlerts(TimeMs before) {
  std::lock_guard lock(mu_);
  return db_->Query("DELETE FROM govern_alerts_fired WHERE until < $1", {PgInt(before)}).status();
}

}  // namespace burnrate::store
