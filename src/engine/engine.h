// The aggregation engine: in-memory totals behind every board and chart.
//
// Owns, per entity (user, team, org, project, model), hourly buckets for the
// last `keep_hours` and an all-time total. Leaderboards are served from
// immutable snapshots, one per (entity, window), rebuilt in the background
// when data changed (see leaderboard.cc for how), so a query never waits for
// a rebuild except the very first one.
//
// Thread-safety: every public method is thread-safe. Apply() takes the
// writer side of state_mu_; readers (snapshot builds, usage series) take the
// reader side; a snapshot, once built, is immutable and shared.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "common/time_util.h"
#include "engine/counters.h"
#include "engine/window.h"
#include "model/event.h"

namespace burnrate::engine {

enum class Entity : uint8_t { kUser, kTeam, kOrg, kProject, kModel };
inline constexpr int kEntityCount = 5;
enum class Metric : uint8_t { kTokens, kCost, kRequests, kValue, kEfficiency, kHonest };
inline constexpr int kMetricCount = 6;

Result<Entity> ParseEntity(std::string_view s);
const char* EntityName(Entity e);
Result<Metric> ParseMetric(std::string_view s);
const char* MetricName(Metric m);

// Where usage came from, by how far it can be trusted (docs/leaderboards.md,
// "Trust by source"): burnrate's own gateway measured it; an OpenTelemetry
// exporter sent it; a coding agent's log was uploaded (claude_code, codex,
// gemini_cli, opencode); anything else posted as NDJSON. The class is read
// from Event::source; the ingest layer keeps clients from claiming the
// names of the server's own channels (ReservedSourceName).
enum class SourceClass : uint8_t { kGateway = 0, kOtlp = 1, kLogs = 2, kNdjson = 3 };
inline constexpr int kSourceClasses = 4;
using SourceMask = uint8_t;  // bit i: SourceClass i
inline constexpr SourceMask kAllSources = (1u << kSourceClasses) - 1;
SourceClass SourceClassOf(std::string_view source);
const char* SourceClassName(SourceClass c);
// "gateway,otlp" -> a mask; InvalidArgument names an unknown class. Empty: all.
Result<SourceMask> ParseSources(std::string_view list);
// Sources only burnrate's own channels write ("gateway", "otlp",
// "copilot"): an NDJSON line that claims one is stored as "ndjson:<name>".
bool ReservedSourceName(std::string_view source);

struct EngineOptions {
  TimeZone tz = TimeZone::Utc();
  TimeMs board_refresh_ms = 250;              // snapshots are at most this stale when data changes
  int keep_hours = 24 * 64;                   // hourly buckets kept (covers 30d and the 30d before)
  int64_t efficiency_min_tokens = 1'000'000;  // below this, no efficiency rank
  double efficiency_prior_mtokens = 5;        // shrinkage strength, in millions of tokens
  // Weight of one unit of each outcome kind in "value"; kinds not listed weigh 1.
  TimeMs session_gap_ms = 30 * kMinuteMs;  // a longer pause ends a session's run
  size_t max_runs_per_user = 16;           // longest session runs kept per user
  std::unordered_map<std::string, double> outcome_weights = {
      {"pull_request", 10},   {"commit", 3},        {"ticket_closed", 5},  {"tests_passed", 1},
      {"edit_accepted", 0.5}, {"edit_rejected", 0}, {"lines_added", 0.01}, {"lines_removed", 0.01}};
};

struct BoardEntry {
  int64_t rank = 0;
  int64_t prev_rank = 0;  // 0: not ranked in the previous window
  std::string id;
  std::string team;  // users only
  std::string org;   // users and teams
  Counters c;
  // Tokens in the window by SourceClass (usage of every class, whatever the
  // board's `sources`).
  std::array<int64_t, kSourceClasses> source_tokens{};
  int64_t wasted_tokens = 0;
  double efficiency = 0;  // value per million tokens, shrunk (see leaderboard.cc)
  double percentile = 0;  // share of ranked entries at or below this one, 0..100
};

struct BoardQuery {
  Entity entity = Entity::kUser;
  Window window = Window::k7d;
  Metric metric = Metric::kTokens;
  size_t limit = 100;
  size_t offset = 0;
  std::string search;  // substring of id; empty = all
  // When set, replaces `search`: whether an id matches (pseudonymous boards
  // match aliases, never the ids behind them).
  std::function<bool(std::string_view id)> match;
  // Usage of these source classes only (outcomes count whatever their
  // source); kAllSources: every class. A restricted board has its own
  // snapshot, built on first use and refreshed like the others.
  SourceMask sources = kAllSources;
  // A reader on its own schedule (badge evaluation, rank snapshots): its
  // read is answered as any other, from a snapshot at most ten refresh
  // periods old or built on the spot, but it does not ask the ticker to
  // keep rebuilding the board for the next minute. Without this, badges
  // evaluated every 30 s kept four boards of every user rebuilt
  // continuously, a quarter of a core at 85,000 users (docs/PERFORMANCE.md).
  bool background = false;
};

struct Board {
  BoardQuery query;
  TimeRange range;
  int64_t total_entries = 0;
  TimeMs generated_at = 0;
  uint64_t version = 0;  // engine version the snapshot reflects
  std::vector<BoardEntry> entries;
};

enum class Granularity : uint8_t { kHour, kDay };
struct SeriesPoint {
  TimeMs t = 0;
  Counters c;
};
// A model whose usage had no exact price, all time: tokens priced from its
// family's estimate and that estimate, and tokens with no price at all.
struct UnpricedModel {
  std::string model;
  int64_t estimated_tokens = 0;
  int64_t estimated_cost_nanos = 0;
  int64_t unpriced_tokens = 0;
};

struct UsageSeries {
  std::vector<SeriesPoint> points;
  Counters totals;
  std::vector<std::pair<std::string, Counters>> by_model;  // over the range
  std::string team, org;
};

struct DayTotals {
  TimeMs day = 0;  // local midnight
  Counters c;
  int64_t active_users = 0;
};

// One run of a session: activity with no pause longer than session_gap_ms.
struct SessionSpan {
  std::string user, session;
  TimeMs start = 0, end = 0;  // first and last event of the run
  TimeMs Span() const { return end - start; }
};

// A user's current run of consecutive active local days (ending today or
// yesterday in the engine's time zone; a day counts with any usage).
struct Streak {
  std::string user;
  int days = 0;
  TimeMs first_day = 0;  // local midnight of the first day
  TimeMs last_day = 0;
};

struct OutcomeKindTotal {
  std::string kind;
  int64_t events = 0;
  double amount = 0;  // sum of outcome values, unweighted
};

// Everything the profile pages show about one user or team.
struct Profile {
  Entity entity = Entity::kUser;
  std::string id, team, org;
  Counters windows[7];                                     // indexed by int(Window)
  std::vector<std::pair<std::string, Counters>> by_model;  // users, all time, largest first
  std::vector<OutcomeKindTotal> outcomes;                  // all time
  int64_t sessions = 0;                                    // users: sessions seen
  std::vector<SessionSpan> longest_sessions;               // users: best first
  Streak streak;                                           // users
  std::vector<std::string> members;                        // teams: users
};

// Tokens flagged as waste for an entity in a range (detection fills this).
using WasteFn = std::function<int64_t(Entity, std::string_view id, TimeRange)>;

class Engine {
 public:
  Engine(EngineOptions opts, const Clock& clock);
  ~Engine();

  // Adds durable events. Events must be resolved (team, org) and costed.
  void Apply(std::span<const model::Event> events);

  Result<Board> Leaderboard(const BoardQuery& q);
  Result<UsageSeries> Usage(Entity e, std::string_view id, TimeRange r, Granularity g) const;
  std::vector<DayTotals> Daily(int days) const;
  std::vector<std::pair<std::string, Counters>> TopModels(TimeRange r, size_t n) const;
  // Every model that had usage without an exact price, in the order the
  // engine first saw each model (stable, so metric labels stay put).
  std::vector<UnpricedModel> UnpricedModels() const;

  // Profiles and the inputs of badges (profile.cc).
  Result<Profile> GetProfile(Entity e, std::string_view id) const;
  // The entity's row on a board (rank 0 when it is not ranked there).
  Result<BoardEntry> Rank(Entity e, Window w, Metric m, std::string_view id);
  // The same for several metrics at once (one pass over the board).
  Result<std::vector<BoardEntry>> Ranks(Entity e, Window w, std::string_view id,
                                        std::span<const Metric> metrics);
  // Per user, the longest session run that ended inside r.
  std::vector<SessionSpan> LongestSessions(TimeRange r) const;
  // Per user with a current streak, as of now.
  std::vector<Streak> Streaks() const;

  // Rebuilds stale snapshots that were read recently. Call periodically.
  void RefreshBoards();
  void SetWasteFn(WasteFn fn);

  // Checkpoints (engine_checkpoint.cc): the whole state as bytes, so a
  // restart can load it and apply only the events after it. The encoding
  // has its own version, kCheckpointVersion, bumped whenever it changes;
  // OptionsHash() names the options the state depends on (a state built
  // with other outcome weights or horizons is not this engine's). Saving
  // holds the reader lock while it copies (Apply waits, queries do not).
  // 2: buckets by source class; 3: 48-byte usage buckets, outcome buckets
  // apart; 4: the same records in independent sections, decoded in
  // parallel.
  static constexpr uint32_t kCheckpointVersion = 4;
  // Version 4: section 0 says which entities each other section holds;
  // each other holds about `part_bytes` of one table's entity records (so
  // that two threads share the decoding evenly: ~50 sections for 1.7 GB).
  std::vector<std::string> SaveSections(size_t part_bytes = size_t(32) << 20) const;
  // Replaces the whole state with saved sections, decoding them on up to
  // `threads` threads at once, each straight into its entities' vectors.
  // `read(i, p, n)` fills up to n bytes of section i (called from one
  // thread at a time per section); `finish(i)` runs after section i's last
  // byte (the file's check of its frame). Any error, a bad section or one
  // that does not finish, leaves the state unchanged.
  struct SectionSource {
    std::vector<uint64_t> sizes;
    std::function<Result<size_t>(size_t i, char* p, size_t n)> read;
    std::function<Status(size_t i)> finish;
  };
  Status RestoreSections(const SectionSource& src, int threads = 2);
  Status RestoreSections(const std::vector<std::string>& sections, int threads = 2);
  // Version 3, one stream: still read, so a checkpoint written before
  // version 4 loads (and written, for tests of that).
  std::string SaveState() const;
  // Replaces the whole state with a saved one. On an error (bytes that do
  // not decode, or ids out of range) nothing changes.
  Status RestoreState(std::string_view data);
  // The same from a stream of `size` bytes (a checkpoint file being
  // decompressed), read straight into the engine's vectors: `read` fills up
  // to n bytes and says how many. `verify` runs after the last byte and
  // before the state is replaced (the file's checksum); its error, too,
  // leaves the state unchanged.
  using ByteSource = std::function<Result<size_t>(char* p, size_t n)>;
  Status RestoreState(uint64_t size, const ByteSource& read, const std::function<Status()>& verify);
  // Of the state of `version` (the seed differs per version).
  uint64_t OptionsHash(uint32_t version = kCheckpointVersion) const;

  uint64_t version() const;  // bumps on every Apply
  size_t entity_count(Entity e) const;
  int64_t events_applied() const;
  const EngineOptions& options() const { return opts_; }

 private:
  struct State;
  struct Snapshot;
  Status Adopt(State& s, const std::vector<size_t>& open_per_user,
               const std::function<Status()>& verify);
  // keep_fresh: the read asks the ticker to keep this board fresh for the
  // next minute (BoardQuery::background is the opposite).
  std::shared_ptr<const Snapshot> GetSnapshot(Entity e, Window w, SourceMask sources,
                                              bool keep_fresh = true);
  std::shared_ptr<Snapshot> Build(Entity e, Window w, SourceMask sources) const;
  // Build's rows, under the engine's shared lock; copies those of `reuse`
  // (the snapshot being replaced, same window hours) for unchanged entities.
  void FillRows(Snapshot& snap, const Snapshot* reuse) const;

  EngineOptions opts_;
  const Clock& clock_;
  std::unique_ptr<State> state_;
};

}  // namespace burnrate::engine
