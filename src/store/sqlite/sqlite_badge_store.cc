// SQLite implementation of badges::BadgeStore: two tables,
//   badge_awards (badge, entity, subject, period) -> first award time, last
//                 update, value, evidence JSON
//   rank_history (day, entity, subject, metric)   -> rank, of, value
// on one connection; every call holds the store's mutex, and each write call
// is one transaction.
#include <mutex>

#include "store/sqlite/sqlite_stores.h"
#include "store/sqlite_db.h"

namespace burnrate::store {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS badge_awards (
  badge TEXT NOT NULL, entity TEXT NOT NULL, subject TEXT NOT NULL, period TEXT NOT NULL,
  awarded_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, value REAL NOT NULL, evidence TEXT NOT NULL,
  PRIMARY KEY (badge, entity, subject, period));
CREATE INDEX IF NOT EXISTS badge_awards_subject ON badge_awards (subject, awarded_at);
CREATE INDEX IF NOT EXISTS badge_awards_time ON badge_awards (awarded_at);
CREATE TABLE IF NOT EXISTS rank_history (
  day TEXT NOT NULL, entity TEXT NOT NULL, subject TEXT NOT NULL, metric TEXT NOT NULL,
  rank INTEGER NOT NULL, of INTEGER NOT NULL, value REAL NOT NULL,
  PRIMARY KEY (entity, subject, metric, day));
)sql";

constexpr const char* kUpsertAward =
    "INSERT INTO badge_awards (badge, entity, subject, period, awarded_at, updated_at, value, "
    "evidence) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
    "ON CONFLICT (badge, entity, subject, period) DO UPDATE SET "
    "updated_at = excluded.updated_at, value = excluded.value, evidence = excluded.evidence";
constexpr const char* kAwardColumns =
    "SELECT badge, entity, subject, period, awarded_at, updated_at, value, evidence FROM "
    "badge_awards";

badges::Award ReadAward(const SqliteStmt& s) {
  badges::Award a;
  a.badge = s.Col(0), a.entity = s.Col(1), a.subject = s.Col(2), a.period = s.Col(3);
  a.awarded_at = s.Int64(4), a.updated_at = s.Int64(5);
  a.value = s.Double(6), a.evidence = s.Col(7);
  return a;
}

class SqliteBadgeStore final : public badges::BadgeStore {
 public:
  explicit SqliteBadgeStore(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}

  Status UpsertAwards(const std::vector<badges::Award>& awards) override {
    std::lock_guard lock(mu_);
    if (awards.empty()) return Status::OK();
    return db_->Transaction([&]() -> Status {
      SqliteStmt ins(*db_, kUpsertAward);
      if (!ins.ok()) return db_->Error("prepare award");
      for (const badges::Award& a : awards) {
        ins.Reset().Text(1, a.badge).Text(2, a.entity).Text(3, a.subject).Text(4, a.period);
        ins.Int(5, a.awarded_at).Int(6, a.updated_at).Real(7, a.value).Text(8, a.evidence);
        if (!ins.Done()) return db_->Error("writing an award");
      }
      return Status::OK();
    });
  }

  Status ForEachAward(const std::function<void(const badges::Award&)>& fn) override {
    std::lock_guard lock(mu_);
    SqliteStmt q(*db_, kAwardColumns);
    if (!q.ok()) return db_->Error("prepare awards");
    int rc;
    while ((rc = q.Step()) == SQLITE_ROW) fn(ReadAward(q));
    return rc == SQLITE_DONE ? Status::OK() : db_->Error("reading awards");
  }

  Result<std::vector<badges::Award>> Awards(const badges::AwardQuery& q) override {
    std::lock_guard lock(mu_);
    SqliteStmt s(*db_, std::string(kAwardColumns) +
                           " WHERE (?1 = '' OR subject = ?1) AND (?2 = '' OR badge = ?2) "
                           "ORDER BY awarded_at DESC, badge, subject LIMIT ?3");
    if (!s.ok()) return db_->Error("prepare awards");
    s.Text(1, q.subject).Text(2, q.badge).Int(3, int64_t(q.limit));
    std::vector<badges::Award> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) out.push_back(ReadAward(s));
    if (rc != SQLITE_DONE) return db_->Error("reading awards");
    return out;
  }

  Status PutRanks(const std::vector<badges::RankRecord>& rows) override {
    std::lock_guard lock(mu_);
    return db_->Transaction([&]() -> Status {
      SqliteStmt ins(*db_,
                     "INSERT OR REPLACE INTO rank_history (day, entity, subject, metric, rank, of, "
                     "value) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
      if (!ins.ok()) return db_->Error("prepare rank history");
      for (const badges::RankRecord& r : rows) {
        ins.Reset().Text(1, r.day).Text(2, r.entity).Text(3, r.subject).Text(4, r.metric);
        ins.Int(5, r.rank).Int(6, r.of).Real(7, r.value);
        if (!ins.Done()) return db_->Error("writing rank history");
      }
      return Status::OK();
    });
  }

  Result<std::vector<badges::RankPoint>> RankHistory(const std::string& entity,
                                                     const std::string& subject,
                                                     const std::string& from_day) override {
    std::lock_guard lock(mu_);
    SqliteStmt s(*db_,
                 "SELECT day, metric, rank, of, value FROM rank_history WHERE entity = ?1 AND "
                 "subject = ?2 AND day >= ?3 ORDER BY day, metric");
    if (!s.ok()) return db_->Error("prepare rank history");
    s.Text(1, entity).Text(2, subject).Text(3, from_day);
    std::vector<badges::RankPoint> out;
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW)
      out.push_back({s.Col(0), s.Col(1), s.Int64(2), s.Int64(3), s.Double(4)});
    if (rc != SQLITE_DONE) return db_->Error("reading rank history");
    return out;
  }

 private:
  // Every call holds mu_: a write is a transaction on the one connection,
  // and another thread's statement inside it would join it (or its BEGIN
  // fail), which SQLite's own per-call mutex does not prevent.
  std::mutex mu_;
  std::unique_ptr<SqliteDb> db_;  // opened kCallerLocks
};

}  // namespace

Result<std::unique_ptr<badges::BadgeStore>> OpenSqliteBadgeStore(const std::string& path,
                                                                 const SqliteOptions& opts) {
  BR_ASSIGN_OR_RETURN(auto db,
                      SqliteDb::Open(path, opts, "badges", SqliteDb::Threading::kCallerLocks));
  BR_RETURN_IF_ERROR(db->Exec(kSchema));
  return std::unique_ptr<badges::BadgeStore>(new SqliteBadgeStore(std::move(db)));
}

}  // namespace burnrate::store
