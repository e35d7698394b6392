// Persisting badge awards and rank history in the burnrate database file.
//
// The service opens its own connection to the SQLite file (WAL mode lets it
// write beside the event store's connection) and owns two tables:
//   badge_awards (badge, entity, subject, period) -> first award time, last
//                 update, value, evidence JSON
//   rank_history (day, entity, subject, metric)   -> rank, of, value
// Evaluate() runs every rule and upserts the awards; a row keeps the time
// it was first awarded, and value and evidence follow the latest
// evaluation. Rows whose value did not change since the last write are
// skipped (an in-memory map of what was written), so a 30-second cadence
// at 100,000 users writes only what moved.
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <unordered_map>

#include "badges/badges.h"
#include "common/sqlite_stmt.h"
#include "common/time_util.h"

namespace burnrate::badges {
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

}  // namespace

struct BadgeService::Impl {
  sqlite3* db = nullptr;
  std::vector<BadgeRule> rules;
  engine::Engine* engine = nullptr;
  const Clock* clock = nullptr;
  mutable std::mutex mu;                            // guards db, written, stats
  std::unordered_map<std::string, double> written;  // award key -> value last written
  // entity + '\x1f' + subject -> rules held at the last evaluation
  std::unordered_map<std::string, std::vector<const BadgeRule*>> held;
  EvalStats stats;

  ~Impl() {
    if (db) sqlite3_close(db);
  }
  Status Exec(const char* sql) const {
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string m = err ? err : "unknown error";
      sqlite3_free(err);
      return Status::IOError("badges: " + m);
    }
    return Status::OK();
  }
  Status Error(const char* what) const {
    return Status::IOError(std::string("badges: ") + what + ": " + sqlite3_errmsg(db));
  }
};

BadgeService::BadgeService() : impl_(std::make_unique<Impl>()) {}
BadgeService::~BadgeService() = default;

Result<std::unique_ptr<BadgeService>> BadgeService::Open(const std::string& db_path,
                                                         std::vector<BadgeRule> rules,
                                                         engine::Engine& engine,
                                                         const Clock& clock) {
  std::unique_ptr<BadgeService> s(new BadgeService());
  Impl& m = *s->impl_;
  if (sqlite3_open_v2(db_path.c_str(), &m.db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    return Status::IOError("badges: cannot open " + db_path + ": " +
                           (m.db ? sqlite3_errmsg(m.db) : "out of memory"));
  }
  sqlite3_busy_timeout(m.db, 5000);
  BR_RETURN_IF_ERROR(m.Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"));
  BR_RETURN_IF_ERROR(m.Exec(kSchema));
  for (const auto& r : rules) BR_RETURN_IF_ERROR(ValidateRule(r));
  m.rules = std::move(rules);
  m.engine = &engine;
  m.clock = &clock;
  // Remember what is on disk, so unchanged awards are not rewritten.
  SqliteStmt q(m.db, "SELECT badge, entity, subject, period, value FROM badge_awards");
  while (sqlite3_step(q.get()) == SQLITE_ROW) {
    m.written[q.Col(0) + '\x1f' + q.Col(1) + '\x1f' + q.Col(2) + '\x1f' + q.Col(3)] =
        sqlite3_column_double(q.get(), 4);
  }
  return s;
}

Status BadgeService::Evaluate() {
  auto t0 = std::chrono::steady_clock::now();
  TimeMs now = impl_->clock->NowMs();
  std::vector<Award> all;
  BoardCache boards;
  for (const auto& r : impl_->rules) {
    auto a = EvaluateRule(r, *impl_->engine, now, &boards);
    all.insert(all.end(), std::make_move_iterator(a.begin()), std::make_move_iterator(a.end()));
  }
  std::lock_guard lock(impl_->mu);
  Impl& m = *impl_;
  EvalStats st = m.stats;
  st.rules = int64_t(m.rules.size());
  st.candidates = int64_t(all.size());
  BR_RETURN_IF_ERROR(m.Exec("BEGIN"));
  SqliteStmt ins(
      m.db,
      "INSERT INTO badge_awards (badge, entity, subject, period, awarded_at, updated_at, value, "
      "evidence) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7) ON CONFLICT (badge, entity, subject, period) DO "
      "UPDATE SET "
      "updated_at = excluded.updated_at, value = excluded.value, evidence = excluded.evidence");
  for (const Award& a : all) {
    std::string key = a.badge + '\x1f' + a.entity + '\x1f' + a.subject + '\x1f' + a.period;
    auto it = m.written.find(key);
    if (it != m.written.end() && it->second == a.value) continue;
    sqlite3_reset(ins.get());
    ins.Text(1, a.badge).Text(2, a.entity).Text(3, a.subject).Text(4, a.period);
    ins.Int(5, a.awarded_at).Real(6, a.value).Text(7, a.evidence);
    if (sqlite3_step(ins.get()) != SQLITE_DONE) {
      Status err = m.Error("writing an award");
      (void)m.Exec("ROLLBACK");
      return err;
    }
    (it == m.written.end() ? st.awarded_new : st.updated)++;
    m.written[key] = a.value;
  }
  BR_RETURN_IF_ERROR(m.Exec("COMMIT"));
  m.held.clear();
  for (const Award& a : all) {
    for (const auto& r : m.rules) {
      if (r.id != a.badge) continue;
      auto& v = m.held[a.entity + '\x1f' + a.subject];
      if (std::find(v.begin(), v.end(), &r) == v.end()) v.push_back(&r);
    }
  }
  st.last_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  m.stats = st;
  return Status::OK();
}

Status BadgeService::SnapshotRanks() {
  TimeMs now = impl_->clock->NowMs();
  std::string day = impl_->engine->options().tz.FormatLocalDate(now);
  struct Row {
    std::string entity, subject, metric;
    int64_t rank, of;
    double value;
  };
  std::vector<Row> rows;
  for (engine::Entity e : {engine::Entity::kUser, engine::Entity::kTeam}) {
    for (engine::Metric metric : {engine::Metric::kTokens, engine::Metric::kValue}) {
      engine::BoardQuery q;
      q.entity = e, q.window = engine::Window::kDay, q.metric = metric, q.limit = SIZE_MAX;
      auto b = impl_->engine->Leaderboard(q);
      if (!b.ok()) continue;
      for (const auto& en : b->entries) {
        double v = metric == engine::Metric::kTokens ? double(en.c.Total()) : en.c.value;
        rows.push_back({engine::EntityName(e), en.id, engine::MetricName(metric), en.rank,
                        b->total_entries, v});
      }
    }
  }
  std::lock_guard lock(impl_->mu);
  Impl& m = *impl_;
  BR_RETURN_IF_ERROR(m.Exec("BEGIN"));
  SqliteStmt ins(
      m.db,
      "INSERT OR REPLACE INTO rank_history (day, entity, subject, metric, rank, of, value) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  for (const Row& r : rows) {
    sqlite3_reset(ins.get());
    ins.Text(1, day)
        .Text(2, r.entity)
        .Text(3, r.subject)
        .Text(4, r.metric)
        .Int(5, r.rank)
        .Int(6, r.of)
        .Real(7, r.value);
    if (sqlite3_step(ins.get()) != SQLITE_DONE) {
      Status err = m.Error("writing rank history");
      (void)m.Exec("ROLLBACK");
      return err;
    }
  }
  return m.Exec("COMMIT");
}

Result<std::vector<Award>> BadgeService::Awards(const AwardQuery& q) const {
  std::lock_guard lock(impl_->mu);
  SqliteStmt s(
      impl_->db,
      "SELECT badge, entity, subject, period, awarded_at, updated_at, value, evidence FROM "
      "badge_awards "
      "WHERE (?1 = '' OR subject = ?1) AND (?2 = '' OR badge = ?2) ORDER BY awarded_at DESC, "
      "badge, subject "
      "LIMIT ?3");
  s.Text(1, q.subject).Text(2, q.badge).Int(3, int64_t(q.limit));
  std::vector<Award> out;
  int rc;
  while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
    Award a;
    a.badge = s.Col(0), a.entity = s.Col(1), a.subject = s.Col(2), a.period = s.Col(3);
    a.awarded_at = sqlite3_column_int64(s.get(), 4),
    a.updated_at = sqlite3_column_int64(s.get(), 5);
    a.value = sqlite3_column_double(s.get(), 6), a.evidence = s.Col(7);
    out.push_back(std::move(a));
  }
  if (rc != SQLITE_DONE) return impl_->Error("reading awards");
  return out;
}

Result<std::vector<RankPoint>> BadgeService::RankHistory(engine::Entity e,
                                                         const std::string& subject,
                                                         int days) const {
  const TimeZone& tz = impl_->engine->options().tz;
  std::string from =
      tz.FormatLocalDate(tz.AddDays(tz.DayStart(impl_->clock->NowMs()), -(days - 1)));
  std::lock_guard lock(impl_->mu);
  SqliteStmt s(
      impl_->db,
      "SELECT day, metric, rank, of, value FROM rank_history WHERE entity = ?1 AND subject = ?2 "
      "AND day >= ?3 "
      "ORDER BY day, metric");
  s.Text(1, engine::EntityName(e)).Text(2, subject).Text(3, from);
  std::vector<RankPoint> out;
  while (sqlite3_step(s.get()) == SQLITE_ROW) {
    out.push_back({s.Col(0), s.Col(1), sqlite3_column_int64(s.get(), 2),
                   sqlite3_column_int64(s.get(), 3), sqlite3_column_double(s.get(), 4)});
  }
  return out;
}

const std::vector<BadgeRule>& BadgeService::rules() const { return impl_->rules; }

std::vector<const BadgeRule*> BadgeService::Holding(engine::Entity e,
                                                    const std::string& subject) const {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->held.find(std::string(engine::EntityName(e)) + '\x1f' + subject);
  return it == impl_->held.end() ? std::vector<const BadgeRule*>{} : it->second;
}

EvalStats BadgeService::stats() const {
  std::lock_guard lock(impl_->mu);
  return impl_->stats;
}

}  // namespace burnrate::badges
