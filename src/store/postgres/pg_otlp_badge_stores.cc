// otlp::StateStore and badges::BadgeStore on PostgreSQL: the SQLite tables
// (sqlite_otlp_state_store.cc, sqlite_badge_store.cc) with the same upsert
// rules, each write call one transaction. uint64 keys and nanosecond times
// are stored bit-for-bit as BIGINT.
#include <mutex>
#include <unordered_map>
#include <vector>

#include "store/postgres/pg_db.h"
#include "store/postgres/pg_stores.h"

namespace burnrate::store {
namespace {

constexpr const char* kOtlpSchema = R"sql(
CREATE TABLE IF NOT EXISTS otlp_series (
  key BIGINT PRIMARY KEY, start_ns BIGINT NOT NULL, time_ns BIGINT NOT NULL,
  units BIGINT NOT NULL, is_int INTEGER NOT NULL, updated BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS otlp_sessions (
  key BIGINT PRIMARY KEY, source INTEGER NOT NULL, updated BIGINT NOT NULL);
)sql";

// A series moves only forward in time: the upsert's WHERE compares the
// nanosecond times as unsigned (stored as signed bits).
// One statement for a batch of series (arrays in $1..$5, `updated` $6); a
// key appears at most once in it (ON CONFLICT DO UPDATE may not touch a
// row twice in one statement).
constexpr const char* kUpsertSeries =
    "INSERT INTO otlp_series (key, start_ns, time_ns, units, is_int, updated) "
    "SELECT k, s, t, u, i, $6 FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], "
    "$4::bigint[], $5::bigint[]) AS x(k, s, t, u, i) "
    "ON CONFLICT (key) DO UPDATE SET start_ns = excluded.start_ns, time_ns = excluded.time_ns, "
    "units = excluded.units, is_int = excluded.is_int, updated = excluded.updated "
    "WHERE (excluded.time_ns::numeric + CASE WHEN excluded.time_ns < 0 THEN 18446744073709551616 "
    "ELSE 0 END) >= (otlp_series.time_ns::numeric + CASE WHEN otlp_series.time_ns < 0 THEN "
    "18446744073709551616 ELSE 0 END)";

class PgOtlpStateStore final : public otlp::StateStore {
 public:
  explicit PgOtlpStateStore(std::unique_ptr<PgDb> db) : db_(std::move(db)) {}

  Status Load(TimeMs before, const std::function<void(uint64_t, const otlp::SeriesState&)>& series,
              const std::function<void(uint64_t, uint8_t)>& sessions) override {
    std::lock_guard lock(mu_);
    for (const char* table : {"otlp_series", "otlp_sessions"}) {
      BR_RETURN_IF_ERROR(
          db_->Query(std::string("DELETE FROM ") + table + " WHERE updated < $1", {PgInt(before)})
              .status());
    }
    BR_ASSIGN_OR_RETURN(
        PgResult r,
        db_->Query(
            "SELECT key, start_ns, time_ns, units, is_int FROM otlp_series ORDER BY updated"));
    for (int i = 0; i < r.rows(); ++i) {
      series(uint64_t(r.Int64(i, 0)),
             {uint64_t(r.Int64(i, 1)), uint64_t(r.Int64(i, 2)), r.Int64(i, 3), r.Bool(i, 4)});
    }
    BR_ASSIGN_OR_RETURN(PgResult s, db_->Query("SELECT key, source FROM otlp_sessions"));
    for (int i = 0; i < s.rows(); ++i) sessions(uint64_t(s.Int64(i, 0)), uint8_t(s.Int64(i, 1)));
    return Status::OK();
  }

  Status Save(const std::vector<otlp::SeriesChange>& changes,
              const std::vector<std::pair<uint64_t, uint8_t>>& sessions, TimeMs now) override {
    if (changes.empty() && sessions.empty()) return Status::OK();
    std::lock_guard lock(mu_);
    return db_->Transaction([&]() -> Status {
      // Rounds: a key's first change goes in round 0, its second in round
      // 1, ...; each round is one statement, rounds in order.
      std::unordered_map<uint64_t, size_t> seen;
      std::vector<std::vector<const otlp::SeriesChange*>> rounds;
      for (const otlp::SeriesChange& c : changes) {
        size_t r = seen[c.key]++;
        if (r == rounds.size()) rounds.emplace_back();
        rounds[r].push_back(&c);
      }
      for (const auto& round : rounds) BR_RETURN_IF_ERROR(UpsertSeries(round, now));
      if (sessions.empty()) return Status::OK();
      std::vector<int64_t> keys, sources;
      for (const auto& [key, source] : sessions)
        keys.push_back(int64_t(key)), sources.push_back(source);
      return db_
          ->Query(
              "INSERT INTO otlp_sessions (key, source, updated) SELECT k, s, $3 FROM "
              "unnest($1::bigint[], $2::bigint[]) AS x(k, s) ON CONFLICT (key) DO NOTHING",
              {PgIntArray(keys), PgIntArray(sources), PgInt(now)})
          .status();
    });
  }

 private:
  Status UpsertSeries(const std::vector<const otlp::SeriesChange*>& round, TimeMs now) {
    std::vector<int64_t> k, st, t, u, i;
    for (const otlp::SeriesChange* c : round) {
      k.push_back(int64_t(c->key)), st.push_back(int64_t(c->next.start_ns));
      t.push_back(int64_t(c->next.time_ns)), u.push_back(c->next.units);
      i.push_back(c->next.is_int ? 1 : 0);
    }
    return db_
        ->Query(kUpsertSeries, {PgIntArray(k), PgIntArray(st), PgIntArray(t), PgIntArray(u),
                                PgIntArray(i), PgInt(now)})
        .status();
  }

  std::mutex mu_;
  std::unique_ptr<PgDb> db_;  // guarded by mu_
};

constexpr const char* kBadgeSchema = R"sql(
CREATE TABLE IF NOT EXISTS badge_awards (
  badge TEXT NOT NULL, entity TEXT NOT NULL, subject TEXT NOT NULL, period TEXT NOT NULL,
  awarded_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, value DOUBLE PRECISION NOT NULL,
  evidence TEXT NOT NULL, PRIMARY KEY (badge, entity, subject, period));
CREATE INDEX IF NOT EXISTS badge_awards_subject ON badge_awards (subject, awarded_at);
CREATE INDEX IF NOT EXISTS badge_awards_time ON badge_awards (awarded_at);
CREATE TABLE IF NOT EXISTS rank_history (
  day TEXT NOT NULL, entity TEXT NOT NULL, subject TEXT NOT NULL, metric TEXT NOT NULL,
  rank BIGINT NOT NULL, "of" BIGINT NOT NULL, value DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (entity, subject, metric, day));
)sql";

constexpr const char* kAwardColumns =
    "SELECT badge, entity, subject, period, awarded_at, updated_at, value, evidence FROM "
    "badge_awards";

badges::Award ReadAward(const PgResult& r, int i) {
  badges::Award a;
  a.badge = r.Str(i, 0), a.entity = r.Str(i, 1), a.subject = r.Str(i, 2), a.period = r.Str(i, 3);
  a.awarded_at = r.Int64(i, 4), a.updated_at = r.Int64(i, 5);
  a.value = r.Double(i, 6), a.evidence = r.Str(i, 7);
  return a;
}

class PgBadgeStore final : public badges::BadgeStore {
 public:
  explicit PgBadgeStore(std::unique_ptr<PgDb> db) : db_(std::move(db)) {}

  Status UpsertAwards(const std::vector<badges::Award>& awards) override {
    if (awards.empty()) return Status::OK();
    std::lock_guard lock(mu_);
    return db_->Transaction([&]() -> Status {
      for (const badges::Award& a : awards) {
        BR_RETURN_IF_ERROR(
            db_->Query("INSERT INTO badge_awards (badge, entity, subject, period, awarded_at, "
                       "updated_at, value, evidence) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
                       "ON CONFLICT (badge, entity, subject, period) DO UPDATE SET updated_at = "
                       "excluded.updated_at, value = excluded.value, evidence = excluded.evidence",
                       {a.badge, a.entity, a.subject, a.period, PgInt(a.awarded_at),
                        PgInt(a.updated_at), PgDouble(a.value), a.evidence})
                .status());
      }
      return Status::OK();
    });
  }

  Status ForEachAward(const std::function<void(const badges::Award&)>& fn) override {
    std::lock_guard lock(mu_);
    BR_ASSIGN_OR_RETURN(PgResult r, db_->Query(kAwardColumns));
    for (int i = 0; i < r.rows(); ++i) fn(ReadAward(r, i));
    return Status::OK();
  }

  Result<std::vector<badges::Award>> Awards(const badges::AwardQuery& q) override {
    std::lock_guard lock(mu_);
    BR_ASSIGN_OR_RETURN(
        PgResult r,
        db_->Query(
            std::string(kAwardColumns) +
                " WHERE ($1 = '' OR subject = $1) AND ($2 = '' OR badge = $2) "
                "ORDER BY awarded_at DESC, badge COLLATE \"C\", subject COLLATE \"C\" LIMIT $3",
            {q.subject, q.badge, PgInt(int64_t(q.limit))}));
    std::vector<badges::Award> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(ReadAward(r, i));
    return out;
  }

  Status PutRanks(const std::vector<badges::RankRecord>& rows) override {
    std::lock_guard lock(mu_);
    return db_->Transaction([&]() -> Status {
      for (const badges::RankRecord& r : rows) {
        BR_RETURN_IF_ERROR(
            db_->Query(R"(INSERT INTO rank_history (day, entity, subject, metric, rank, "of", value)
                          VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (entity, subject, metric,
                          day) DO UPDATE SET rank = excluded.rank, "of" = excluded."of",
                          value = excluded.value)",
                       {r.day, r.entity, r.subject, r.metric, PgInt(r.rank), PgInt(r.of),
                        PgDouble(r.value)})
                .status());
      }
      return Status::OK();
    });
  }

  Result<std::vector<badges::RankPoint>> RankHistory(const std::string& entity,
                                                     const std::string& subject,
                                                     const std::string& from_day) override {
    std::lock_guard lock(mu_);
    BR_ASSIGN_OR_RETURN(PgResult r, db_->Query(R"(SELECT day, metric, rank, "of", value
                                                  FROM rank_history WHERE entity = $1 AND
                                                  subject = $2 AND day >= $3 COLLATE "C" ORDER BY day COLLATE "C", metric COLLATE "C")",
                                               {entity, subject, from_day}));
    std::vector<badges::RankPoint> out;
    for (int i = 0; i < r.rows(); ++i)
      out.push_back({r.Str(i, 0), r.Str(i, 1), r.Int64(i, 2), r.Int64(i, 3), r.Double(i, 4)});
    return out;
  }

 private:
  std::mutex mu_;
  std::unique_ptr<PgDb> db_;  // guarded by mu_
};

}  // namespace

Result<std::unique_ptr<otlp::StateStore>> OpenPgOtlpStateStore(const std::string& conninfo) {
  BR_ASSIGN_OR_RETURN(auto db, PgDb::Open(conninfo, "postgres otlp state"));
  BR_RETURN_IF_ERROR(db->EnsureSchema(kOtlpSchema));
  return std::unique_ptr<otlp::StateStore>(new PgOtlpStateStore(std::move(db)));
}

Result<std::unique_ptr<badges::BadgeStore>> OpenPgBadgeStore(const std::string& conninfo) {
  BR_ASSIGN_OR_RETURN(auto db, PgDb::Open(conninfo, "postgres badges"));
  BR_RETURN_IF_ERROR(db->EnsureSchema(kBadgeSchema));
  return std::unique_ptr<badges::BadgeStore>(new PgBadgeStore(std::move(db)));
}

}  // namespace burnrate::store
