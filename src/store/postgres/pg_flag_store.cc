// detect::FlagStore on PostgreSQL: table detect_flags as in SQLite. Put,
// Review and Retract lock the flag's id (an advisory lock, which holds for
// a row not yet there), read the row with SELECT ... FOR UPDATE and write it
// back in the same transaction, so two nodes scoring or reviewing the same
// flag at once apply the review rules one after the other.
#include <mutex>

#include "store/postgres/pg_db.h"
#include "store/postgres/pg_stores.h"

namespace burnrate::store {
namespace {

using detect::Flag;
using detect::PutOutcome;
using detect::Reason;
using detect::ReviewState;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS detect_flags (
  id TEXT PRIMARY KEY, "user" TEXT NOT NULL, team TEXT NOT NULL, day BIGINT NOT NULL,
  date TEXT NOT NULL, score DOUBLE PRECISION NOT NULL, flagged INTEGER NOT NULL,
  high_confidence INTEGER NOT NULL, tokens BIGINT NOT NULL, wasted_tokens BIGINT NOT NULL,
  reasons TEXT NOT NULL, state TEXT NOT NULL, note TEXT NOT NULL, reviewer TEXT NOT NULL,
  reviewed_at BIGINT NOT NULL, retraction TEXT NOT NULL, retracted_at BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS detect_flags_by_day ON detect_flags(day);
)sql";

constexpr const char* kSelect =
    R"(SELECT id, "user", team, day, date, score, flagged, high_confidence, tokens,
       wasted_tokens, reasons, state, note, reviewer, reviewed_at, retraction, retracted_at
       FROM detect_flags )";

Flag RowToFlag(const PgResult& r, int i) {
  Flag f;
  f.id = r.Str(i, 0), f.user = r.Str(i, 1), f.team = r.Str(i, 2);
  f.day = r.Int64(i, 3), f.date = r.Str(i, 4), f.score = r.Double(i, 5);
  f.flagged = r.Bool(i, 6), f.high_confidence = r.Bool(i, 7);
  f.tokens = r.Int64(i, 8), f.wasted_tokens = r.Int64(i, 9);
  f.reasons = detect::ReasonsFromJson(r.Str(i, 10));
  f.state = detect::ParseReviewState(r.Str(i, 11)).value_or(ReviewState::kOpen);
  f.note = r.Str(i, 12), f.reviewer = r.Str(i, 13), f.reviewed_at = r.Int64(i, 14);
  f.retraction = r.Str(i, 15), f.retracted_at = r.Int64(i, 16);
  return f;
}

class PgFlagStore final : public detect::FlagStore {
 public:
  explicit PgFlagStore(std::unique_ptr<PgDb> db) : db_(std::move(db)) {}

  Result<PutOutcome> Put(const Flag& f, Flag* stored) override {
    std::lock_guard lock(mu_);
    PutOutcome o = PutOutcome::kUnchanged;
    Flag merged;
    BR_RETURN_IF_ERROR(db_->Transaction([&]() -> Status {
      BR_ASSIGN_OR_RETURN(std::optional<Flag> old, Load(f.id, true));
      o = detect::MergePut(old ? &*old : nullptr, f, &merged);
      return o == PutOutcome::kUnchanged ? Status::OK() : Save(merged);
    }));
    if (stored) *stored = std::move(merged);
    return o;
  }

  std::optional<Flag> Get(const std::string& id) const override {
    std::lock_guard lock(mu_);
    auto f = Load(id, false);
    return f.ok() ? *f : std::nullopt;
  }

  std::optional<Flag> Find(const std::string& user, int64_t day) const override {
    return Get(detect::FlagId(user, day));
  }

  std::vector<Flag> List(int64_t from_day, int64_t to_day) const override {
    std::vector<Flag> out;
    std::lock_guard lock(mu_);
    auto r = db_->Query(std::string(kSelect) + "WHERE day BETWEEN $1 AND $2",
                        {PgInt(from_day), PgInt(to_day)});
    if (!r.ok()) return out;
    for (int i = 0; i < r->rows(); ++i) out.push_back(RowToFlag(*r, i));
    detect::SortFlags(out);
    return out;
  }

  Result<Flag> Review(const std::string& id, ReviewState s, std::string note, std::string reviewer,
                      TimeMs at) override {
    std::lock_guard lock(mu_);
    std::optional<Flag> f;
    BR_RETURN_IF_ERROR(db_->Transaction([&]() -> Status {
      BR_ASSIGN_OR_RETURN(f, Load(id, true));
      if (!f) return Status::NotFound("no flag with id " + id);
      f->state = s, f->note = std::move(note), f->reviewer = std::move(reviewer);
      f->reviewed_at = at;
      return Save(*f);
    }));
    return *f;
  }

  Result<std::optional<Flag>> Retract(const std::string& id, double score,
                                      std::vector<Reason> reasons, std::string why,
                                      TimeMs at) override {
    std::lock_guard lock(mu_);
    std::optional<Flag> f;
    BR_RETURN_IF_ERROR(db_->Transaction([&]() -> Status {
      BR_ASSIGN_OR_RETURN(f, Load(id, true));
      if (!f || !detect::ApplyRetract(*f, score, std::move(reasons), std::move(why), at)) {
        f.reset();
        return Status::OK();
      }
      return Save(*f);
    }));
    return f;
  }

 private:
  // mu_ held; `lock`: inside a transaction, FOR UPDATE. FOR UPDATE locks
  // nothing when the row does not exist yet, so the flag's id is first
  // locked as a transaction-level advisory lock: two nodes creating and
  // reviewing the same new flag then still go one after the other.
  Result<std::optional<Flag>> Load(const std::string& id, bool lock) const {
    if (lock) {
      BR_RETURN_IF_ERROR(
          db_->Query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", {id}).status());
    }
    BR_ASSIGN_OR_RETURN(
        PgResult r,
        db_->Query(std::string(kSelect) + "WHERE id = $1" + (lock ? " FOR UPDATE" : ""), {id}));
    if (r.rows() == 0) return std::optional<Flag>();
    return std::optional<Flag>(RowToFlag(r, 0));
  }

  Status Save(const Flag& f) {  // mu_ held
    return db_
        ->Query(R"(INSERT INTO detect_flags (id, "user", team, day, date, score, flagged,
                   high_confidence, tokens, wasted_tokens, reasons, state, note, reviewer,
                   reviewed_at, retraction, retracted_at) VALUES ($1, $2, $3, $4, $5, $6, $7,
                   $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
                   ON CONFLICT (id) DO UPDATE SET "user" = excluded."user",
                   team = excluded.team, day = excluded.day, date = excluded.date,
                   score = excluded.score, flagged = excluded.flagged,
                   high_confidence = excluded.high_confidence, tokens = excluded.tokens,
                   wasted_tokens = excluded.wasted_tokens, reasons = excluded.reasons,
                   state = excluded.state, note = excluded.note, reviewer = excluded.reviewer,
                   reviewed_at = excluded.reviewed_at, retraction = excluded.retraction,
                   retracted_at = excluded.retracted_at)",
                {f.id, f.user, f.team, PgInt(f.day), f.date, PgDouble(f.score),
                 PgInt(f.flagged ? 1 : 0), PgInt(f.high_confidence ? 1 : 0), PgInt(f.tokens),
                 PgInt(f.wasted_tokens), detect::ReasonsToJson(f.reasons),
                 detect::ReviewStateName(f.state), f.note, f.reviewer, PgInt(f.reviewed_at),
                 f.retraction, PgInt(f.retracted_at)})
        .status();
  }

  mutable std::mutex mu_;
  std::unique_ptr<PgDb> db_;  // guarded by mu_
};

}  // namespace

Result<std::unique_ptr<detect::FlagStore>> OpenPgFlagStore(const std::string& conninfo) {
  BR_ASSIGN_OR_RETURN(auto db, PgDb::Open(conninfo, "postgres flags"));
  BR_RETURN_IF_ERROR(db->EnsureSchema(kSchema));
  return std::unique_ptr<detect::FlagStore>(new PgFlagStore(std::move(db)));
}

}  // namespace burnrate::store
