// The badges layer's front door: rule-defined badges and streaks, awarded
// from the engine's totals, persisted with time and evidence.
//
// Rules come from the config file ([[badges]], docs/leaderboards.md) on top
// of a default set (Token Legend, Session Immortal, streaks, efficiency and
// value badges). A BadgeService re-evaluates every rule when asked (the app
// calls Evaluate() on a timer), writes new and changed awards to its
// BadgeStore, and keeps daily rank snapshots there for profile rank
// history. The badges layer never opens a database: App constructs the
// store (SQLite: store/sqlite/sqlite_stores.h, tables badge_awards and
// rank_history) and passes it to BadgeService::Open.
//
// Thread-safety: BadgeService is thread-safe (one mutex around evaluation
// and its store's writes); BadgeStore implementations are thread-safe. EvaluateRule is a pure
// function of the engine. Errors: config errors are InvalidArgument naming file:line and key;
// database errors are IOError.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "common/toml_fwd.h"
#include "engine/engine.h"

namespace burnrate::badges {

// What a rule measures. The first six are the engine's board metrics.
enum class RuleMetric : uint8_t {
  kTokens,
  kCost,
  kRequests,
  kValue,
  kEfficiency,
  kHonest,
  kSessionHours,    // the longest session run (gaps < session_gap) ending in the window
  kStreakDays,      // the current run of consecutive active local days (window ignored)
  kEditAcceptance,  // accepted share of edit decisions in the window, in percent
};
Result<RuleMetric> ParseRuleMetric(std::string_view s);
const char* RuleMetricName(RuleMetric m);

struct BadgeRule {
  std::string id;  // stable key, [a-z0-9_]
  std::string name, description;
  engine::Entity entity = engine::Entity::kUser;
  RuleMetric metric = RuleMetric::kTokens;
  engine::Window window = engine::Window::k30d;
  // Award conditions; every one that is set must hold (at least one is).
  double threshold = 0;             // value >= threshold; 0 = unset
  int64_t top_n = 0;                // rank <= top_n; 0 = unset
  double top_percent = 0;           // rank <= max(1, floor(n * p / 100)); 0 = unset
  int64_t min_volume = 0;           // tokens in the window (the rule's window; 30d for streaks)
  bool disqualify_flagged = false;  // any tokens flagged as waste in the window disqualify
};

std::vector<BadgeRule> DefaultRules();
// Defaults overlaid by the config's [[badges]] entries: an entry with a
// default's id replaces it, `enabled = false` removes it, new ids add.
Result<std::vector<BadgeRule>> LoadRules(const toml::table* config, const std::string& origin);
Status ValidateRule(const BadgeRule& r);

struct Award {
  std::string badge;    // rule id
  std::string entity;   // "user", "team"
  std::string subject;  // the user or team id
  std::string period;   // which instance: local date, week start, streak start, session run
  TimeMs awarded_at = 0;
  TimeMs updated_at = 0;
  double value = 0;
  std::string evidence;  // JSON object: metric, value, rank, of, window, range...
};

// Whole boards fetched during one evaluation pass, shared by its rules (most
// rules read the same 30-day boards). Not thread-safe; one per pass.
class BoardCache {
 public:
  const engine::Board& Get(engine::Engine& eng, engine::Entity e, engine::Window w,
                           engine::Metric m);
  // Rows of that board by id (built once per board).
  const std::unordered_map<std::string_view, const engine::BoardEntry*>& Index(engine::Engine& eng,
                                                                               engine::Entity e,
                                                                               engine::Window w,
                                                                               engine::Metric m);

 private:
  struct Cached {
    engine::Board board;
    std::unordered_map<std::string_view, const engine::BoardEntry*> index;
    bool indexed = false;
  };
  Cached& Fetch(engine::Engine& eng, engine::Entity e, engine::Window w, engine::Metric m);
  std::map<std::tuple<int, int, int>, Cached> boards_;
};

// Evaluates one rule against the engine as of `now` (pure: no writes).
std::vector<Award> EvaluateRule(const BadgeRule& rule, engine::Engine& engine, TimeMs now,
                                BoardCache* cache = nullptr);

struct RankPoint {
  std::string day;  // local date
  std::string metric;
  int64_t rank = 0, of = 0;
  double value = 0;
};

struct AwardQuery {
  std::string subject;  // empty: all
  std::string badge;    // empty: all
  size_t limit = 200;
};

// One user's or team's rank on one metric's day board, as stored.
struct RankRecord {
  std::string day;  // local date
  std::string entity, subject, metric;
  int64_t rank = 0, of = 0;
  double value = 0;
};

// Where awards and rank history are kept. Every write is one transaction,
// durable on return. Implementations pass the conformance suite of
// src/store/conformance/.
class BadgeStore {
 public:
  virtual ~BadgeStore() = default;
  // Writes awards keyed by (badge, entity, subject, period): a new key is
  // stored as given; an existing one keeps its first awarded_at and takes
  // updated_at, value and evidence from `a`.
  virtual Status UpsertAwards(const std::vector<Award>& awards) = 0;
  // Every stored award, in no particular order.
  virtual Status ForEachAward(const std::function<void(const Award&)>& fn) = 0;
  // Matching q (empty fields match all), newest awarded_at first (then
  // badge, subject), at most q.limit.
  virtual Result<std::vector<Award>> Awards(const AwardQuery& q) = 0;
  // Writes rank points, replacing any with the same (day, entity, subject,
  // metric).
  virtual Status PutRanks(const std::vector<RankRecord>& rows) = 0;
  // `entity`'s `subject` on days >= from_day (local dates compare as
  // text), by day then metric.
  virtual Result<std::vector<RankPoint>> RankHistory(const std::string& entity,
                                                     const std::string& subject,
                                                     const std::string& from_day) = 0;
};

struct EvalStats {
  int64_t rules = 0, candidates = 0, awarded_new = 0, updated = 0;
  double last_ms = 0;
};

class BadgeService {
 public:
  // Loads what `store` holds (so unchanged awards are not rewritten).
  static Result<std::unique_ptr<BadgeService>> Open(std::unique_ptr<BadgeStore> store,
                                                    std::vector<BadgeRule> rules,
                                                    engine::Engine& engine, const Clock& clock);
  ~BadgeService();

  // Evaluates every rule and persists new or changed awards.
  Status Evaluate();
  // Writes today's (local) ranks of users and teams on the day boards.
  Status SnapshotRanks();
  Result<std::vector<Award>> Awards(const AwardQuery& q) const;
  Result<std::vector<RankPoint>> RankHistory(engine::Entity e, const std::string& subject,
                                             int days) const;
  const std::vector<BadgeRule>& rules() const;
  EvalStats stats() const;
  // Badges `subject` holds as of the last Evaluate() (rule ids, rule order).
  std::vector<const BadgeRule*> Holding(engine::Entity e, const std::string& subject) const;

 private:
  BadgeService();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace burnrate::badges
