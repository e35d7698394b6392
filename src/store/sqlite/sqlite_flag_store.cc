// SQLite implementation of detect::FlagStore: the review queue in table
// `detect_flags` (one row per user-day flag, reasons as a JSON array), so
// confirm/dismiss decisions and their notes survive restarts.
//
// Flags are few (users flagged per day, not events), so every operation is a
// plain statement on one row; a day's list is one indexed range scan. Put,
// Retract and Review read a row and write it back under mu_; this
// connection is the only writer of the table (one burnrate process per
// database file), so the review rules of FlagStore hold. Each write is one
// autocommit statement, fsynced (SqliteDb: synchronous=FULL): a review is
// durable before it is answered.
#include <mutex>

#include "store/sqlite/sqlite_stores.h"
#include "store/sqlite_db.h"

namespace burnrate::store {
namespace {

using detect::Flag;
using detect::PutOutcome;
using detect::Reason;
using detect::ReviewState;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS detect_flags (
  id              TEXT PRIMARY KEY,
  user            TEXT NOT NULL,
  team            TEXT NOT NULL,
  day             INTEGER NOT NULL,
  date            TEXT NOT NULL,
  score           REAL NOT NULL,
  flagged         INTEGER NOT NULL,
  high_confidence INTEGER NOT NULL,
  tokens          INTEGER NOT NULL,
  wasted_tokens   INTEGER NOT NULL,
  reasons         TEXT NOT NULL,
  state           TEXT NOT NULL,
  note            TEXT NOT NULL,
  reviewer        TEXT NOT NULL,
  reviewed_at     INTEGER NOT NULL,
  retraction      TEXT NOT NULL,
  retracted_at    INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS detect_flags_by_day ON detect_flags(day);
)sql";

constexpr const char* kColumns =
    "id, user, team, day, date, score, flagged, high_confidence, tokens, wasted_tokens, reasons, "
    "state, note, "
    "reviewer, reviewed_at, retraction, retracted_at";

Status DbError(sqlite3* db, const char* what) {
  return Status::IOError(std::string("detect flags db: ") + what + ": " + sqlite3_errmsg(db));
}

std::string Column(sqlite3_stmt* s, int i) {
  const unsigned char* t = sqlite3_column_text(s, i);
  return t ? std::string(reinterpret_cast<const char*>(t), size_t(sqlite3_column_bytes(s, i)))
           : std::string();
}

Flag RowToFlag(sqlite3_stmt* s) {
  Flag f;
  f.id = Column(s, 0), f.user = Column(s, 1), f.team = Column(s, 2);
  f.day = sqlite3_column_int64(s, 3);
  f.date = Column(s, 4);
  f.score = sqlite3_column_double(s, 5);
  f.flagged = sqlite3_column_int(s, 6) != 0, f.high_confidence = sqlite3_column_int(s, 7) != 0;
  f.tokens = sqlite3_column_int64(s, 8), f.wasted_tokens = sqlite3_column_int64(s, 9);
  f.reasons = detect::ReasonsFromJson(Column(s, 10));
  f.state = detect::ParseReviewState(Column(s, 11)).value_or(ReviewState::kOpen);
  f.note = Column(s, 12), f.reviewer = Column(s, 13);
  f.reviewed_at = sqlite3_column_int64(s, 14);
  f.retraction = Column(s, 15);
  f.retracted_at = sqlite3_column_int64(s, 16);
  return f;
}

class SqliteFlagStore final : public detect::FlagStore {
 public:
  explicit SqliteFlagStore(std::unique_ptr<SqliteDb> conn)
      : conn_(std::move(conn)), db_(conn_->get()) {}

  Result<PutOutcome> Put(const Flag& f, Flag* stored = nullptr) override;
  std::optional<Flag> Get(const std::string& id) const override;
  std::optional<Flag> Find(const std::string& user, int64_t day) const override;
  std::vector<Flag> List(int64_t from_day, int64_t to_day) const override;
  Result<Flag> Review(const std::string& id, ReviewState s, std::string note, std::string reviewer,
                      TimeMs at) override;
  Result<std::optional<Flag>> Retract(const std::string& id, double score,
                                      std::vector<Reason> reasons, std::string why,
                                      TimeMs at) override;

 private:
  Result<std::optional<Flag>> Load(const std::string& id) const;  // mu_ held
  Status Save(const Flag& f);                                     // mu_ held

  mutable std::mutex mu_;
  std::unique_ptr<SqliteDb> conn_;
  sqlite3* db_;  // conn_'s handle; guarded by mu_
};

Result<std::optional<Flag>> SqliteFlagStore::Load(const std::string& id) const {
  SqliteStmt st(db_, std::string("SELECT ") + kColumns + " FROM detect_flags WHERE id = ?");
  if (!st.ok()) return DbError(db_, "prepare select");
  st.Text(1, id);
  int rc = sqlite3_step(st.get());
  if (rc == SQLITE_DONE) return std::optional<Flag>();
  if (rc != SQLITE_ROW) return DbError(db_, "select");
  return std::optional<Flag>(RowToFlag(st.get()));
}

Status SqliteFlagStore::Save(const Flag& f) {
  SqliteStmt st(db_, std::string("INSERT OR REPLACE INTO detect_flags(") + kColumns +
                         ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  if (!st.ok()) return DbError(db_, "prepare insert");
  st.Text(1, f.id), st.Text(2, f.user), st.Text(3, f.team), st.Int(4, f.day), st.Text(5, f.date);
  sqlite3_bind_double(st.get(), 6, f.score);
  st.Int(7, f.flagged), st.Int(8, f.high_confidence), st.Int(9, f.tokens),
      st.Int(10, f.wasted_tokens);
  st.Text(11, detect::ReasonsToJson(f.reasons)), st.Text(12, detect::ReviewStateName(f.state));
  st.Text(13, f.note), st.Text(14, f.reviewer), st.Int(15, f.reviewed_at);
  st.Text(16, f.retraction), st.Int(17, f.retracted_at);
  if (sqlite3_step(st.get()) != SQLITE_DONE) return DbError(db_, "insert");
  return Status::OK();
}

Result<PutOutcome> SqliteFlagStore::Put(const Flag& f, Flag* stored) {
  std::lock_guard<std::mutex> lock(mu_);
  BR_ASSIGN_OR_RETURN(std::optional<Flag> old, Load(f.id));
  Flag merged;
  PutOutcome o = detect::MergePut(old ? &*old : nullptr, f, &merged);
  if (o != PutOutcome::kUnchanged) BR_RETURN_IF_ERROR(Save(merged));
  if (stored) *stored = std::move(merged);
  return o;
}

std::optional<Flag> SqliteFlagStore::Get(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto f = Load(id);
  return f.ok() ? *f : std::nullopt;
}

std::optional<Flag> SqliteFlagStore::Find(const std::string& user, int64_t day) const {
  return Get(detect::FlagId(user, day));
}

std::vector<Flag> SqliteFlagStore::List(int64_t from_day, int64_t to_day) const {
  std::vector<Flag> out;
  std::lock_guard<std::mutex> lock(mu_);
  SqliteStmt st(db_,
                std::string("SELECT ") + kColumns + " FROM detect_flags WHERE day BETWEEN ? AND ?");
  if (!st.ok()) return out;
  st.Int(1, from_day), st.Int(2, to_day);
  while (sqlite3_step(st.get()) == SQLITE_ROW) out.push_back(RowToFlag(st.get()));
  detect::SortFlags(out);
  return out;
}

Result<Flag> SqliteFlagStore::Review(const std::string& id, ReviewState s, std::string note,
                                     std::string reviewer, TimeMs at) {
  std::lock_guard<std::mutex> lock(mu_);
  BR_ASSIGN_OR_RETURN(std::optional<Flag> f, Load(id));
  if (!f) return Status::NotFound("no flag with id " + id);
  f->state = s, f->note = std::move(note), f->reviewer = std::move(reviewer), f->reviewed_at = at;
  BR_RETURN_IF_ERROR(Save(*f));
  return *f;
}

Result<std::optional<Flag>> SqliteFlagStore::Retract(const std::string& id, double score,
                                                     std::vector<Reason> reasons, std::string why,
                                                     TimeMs at) {
  std::lock_guard<std::mutex> lock(mu_);
  BR_ASSIGN_OR_RETURN(std::optional<Flag> f, Load(id));
  if (!f || !detect::ApplyRetract(*f, score, std::move(reasons), std::move(why), at))
    return std::optional<Flag>();
  BR_RETURN_IF_ERROR(Save(*f));
  return f;
}

}  // namespace

Result<std::unique_ptr<detect::FlagStore>> OpenSqliteFlagStore(const std::string& path,
                                                               const SqliteOptions& opts) {
  BR_ASSIGN_OR_RETURN(auto db, SqliteDb::Open(path, opts, "detect flags db"));
  BR_RETURN_IF_ERROR(db->Exec(kSchema));
  return std::unique_ptr<detect::FlagStore>(new SqliteFlagStore(std::move(db)));
}

}  // namespace burnrate::store
