// Leaderboards from snapshots.
//
// A query at 100,000 users must cost well under a millisecond, but summing
// 30 days of hourly buckets for every user costs tens of milliseconds. So a
// board is served from a Snapshot: the totals of every entity for one
// (entity, window) and the window before it, computed once under the
// engine's reader lock. Orders per metric are sorted lazily on first use and
// kept with the snapshot; prev_rank comes from sorting the previous window's
// totals the same way. A query then slices the order and formats entries.
//
// Freshness: a snapshot older than board_refresh_ms whose engine version
// moved is rebuilt by RefreshBoards() (the app calls it on a timer) for any
// board read in the last minute. Background reads (the badge evaluator's)
// do not count: they take what is there. Leaderboard() itself builds only
// when no snapshot exists, when the current one is more than 10 refresh
// periods stale, or when a dashboard reads a board the ticker was not
// keeping and the snapshot is not current; so readers rarely pay for a build. Within an hour, a
// build copies the rows of entities Apply has not stamped since the snapshot it replaces
// (FillRows), so its cost follows the users who were active, not all users.
//
// Efficiency is value per million tokens with empirical-Bayes shrinkage:
// (value + k * r) / (mtokens + k), where k is efficiency_prior_mtokens and r
// is the rate of the entity's group: a user's team, a team's org (other
// entities: the whole board). The group's rate is itself shrunk towards
// the board's rate the same way, so a one-person team does not become its
// own prior. One lucky commit on a small volume is pulled towards what its
// team usually gets per token; a large volume keeps its own rate. Using the
// team rather than the board keeps a team of heavy-outcome work (release
// engineering) from lifting, and a research team from sinking, their
// members' small samples. Entities under efficiency_min_tokens are not
// ranked by efficiency at all. docs/leaderboards.md has a worked example.
//
// Trust by source: buckets are kept per source class, so a board of some
// classes only (BoardQuery::sources) sums those buckets; it is its own
// snapshot (one per mask in use), and every row carries the tokens of each
// class in the window, whatever the board's mask.
#include <algorithm>
#include <mutex>
#include <numeric>
#include <shared_mutex>

#include "engine/engine.h"
#include "engine/engine_state.h"

namespace burnrate::engine {

double Engine::Snapshot::Score(Metric m, size_t i, bool previous) const {
  const Counters& c = previous ? prev[i] : cur[i];
  switch (m) {
    case Metric::kTokens:
      return double(c.Total());
    case Metric::kCost:
      return double(c.cost_nanos);
    case Metric::kRequests:
      return double(c.requests);
    case Metric::kValue:
      return c.value;
    case Metric::kEfficiency:
      return previous ? 0 : efficiency[i];
    case Metric::kHonest:
      return double(c.Total() - (previous ? 0 : wasted[i]));
  }
  return 0;
}

bool Engine::Snapshot::Eligible(Metric m, size_t i, bool previous) const {
  const Counters& c = previous ? prev[i] : cur[i];
  if (m == Metric::kEfficiency) return !previous && efficiency[i] >= 0;
  if (m == Metric::kValue) return c.value > 0;
  return c.Total() > 0 || c.requests > 0;
}

void Engine::Snapshot::EnsureOrder(Metric m) const {
  int mi = int(m);
  if (!order[mi].empty() || ranked_count[mi] >= 0) return;
  // Scores computed once, sorted with their positions (one contiguous
  // array): the comparator is the same, so is the order.
  auto sorted = [&](bool previous) {
    std::vector<std::pair<double, uint32_t>> keyed;
    keyed.reserve(ids.size());
    for (size_t i = 0; i < ids.size(); ++i)
      if (Eligible(m, i, previous)) keyed.emplace_back(Score(m, i, previous), uint32_t(i));
    std::sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : names[a.second] < names[b.second];
    });
    std::vector<uint32_t> idx(keyed.size());
    for (size_t r = 0; r < keyed.size(); ++r) idx[r] = keyed[r].second;
    return idx;
  };
  order[mi] = sorted(false);
  ranked_count[mi] = int64_t(order[mi].size());
  prev_rank[mi].assign(ids.size(), 0);
  if (m != Metric::kEfficiency) {
    auto prev_order = sorted(true);
    for (size_t r = 0; r < prev_order.size(); ++r) prev_rank[mi][prev_order[r]] = int64_t(r + 1);
  }
}

namespace {

// The hours a Sum over r covers: all it depends on besides the buckets.
bool SameHours(TimeRange a, TimeRange b) {
  return FloorDiv(a.from, kHourMs) == FloorDiv(b.from, kHourMs) &&
         FloorDiv(a.to + kHourMs - 1, kHourMs) == FloorDiv(b.to + kHourMs - 1, kHourMs);
}

}  // namespace

// Rows in entity order. An entity unchanged since `reuse` was built keeps
// its row (or its absence): its buckets, team and org are as they were, and
// the window covers the same hours. Waste comes from detection, which does
// not stamp entities, so it is asked for every row.
namespace {

// Every name of `table` by id: `old` when it names them all (an entity's
// name never changes), else a fresh copy.
std::shared_ptr<const std::vector<std::string>> NameTable(
    const EntityTable& table, std::shared_ptr<const std::vector<std::string>> old) {
  if (old && old->size() == table.entities.size()) return old;
  auto names = std::make_shared<std::vector<std::string>>();
  names->reserve(table.entities.size());
  for (const EntityState& e : table.entities) names->push_back(e.name);
  return names;
}

}  // namespace

void Engine::FillRows(Snapshot& snap, const Snapshot* reuse) const {
  Entity e = snap.entity;
  Window w = snap.window;
  uint32_t slots = SlotMask(snap.sources);
  bool every = snap.sources == kAllSources;
  const EntityTable& table = state_->tables[int(e)];
  snap.team_names =
      NameTable(state_->tables[int(Entity::kTeam)], reuse ? reuse->team_names : nullptr);
  snap.org_names = NameTable(state_->tables[int(Entity::kOrg)], reuse ? reuse->org_names : nullptr);
  // The rows of the snapshot replaced and some room for new ones, so the
  // row vectors do not grow by doubling (a copy of every row each time).
  size_t n = reuse ? reuse->ids.size() + reuse->ids.size() / 8 : table.entities.size();
  snap.ids.reserve(n), snap.source_tokens.reserve(n), snap.cur.reserve(n), snap.prev.reserve(n);
  snap.names.reserve(n), snap.team_ids.reserve(n), snap.org_ids.reserve(n);
  snap.groups.reserve(n);
  size_t j = 0;
  auto copy_row = [&snap, reuse](size_t k) {
    snap.ids.push_back(reuse->ids[k]);
    snap.source_tokens.push_back(reuse->source_tokens[k]);
    snap.cur.push_back(reuse->cur[k]);
    snap.prev.push_back(reuse->prev[k]);
    snap.names.push_back(reuse->names[k]);
    snap.team_ids.push_back(reuse->team_ids[k]);
    snap.org_ids.push_back(reuse->org_ids[k]);
    snap.groups.push_back(reuse->groups[k]);
  };
  for (uint32_t i = 0; i < table.entities.size(); ++i) {
    if (reuse && !table.ChangedSince(i, reuse->version)) {
      while (j < reuse->ids.size() && reuse->ids[j] < i) ++j;
      if (j < reuse->ids.size() && reuse->ids[j] == i) copy_row(j);
      continue;
    }
    const EntityState& ent = table.entities[i];
    std::array<int64_t, kSourceClasses> split{};  // one pass with the window's sum
    Counters cur = w != Window::kAll ? ent.Sum(snap.range, slots, &split)
                   : every           ? ent.all
                                     : ent.SumAll(slots);
    Counters prev = w == Window::kAll ? Counters{} : ent.Sum(snap.prev_range, slots);
    if (cur.Total() == 0 && cur.requests == 0 && cur.outcomes == 0 && prev.Total() == 0) continue;
    if (w == Window::kAll) split = ent.SourceTokens(snap.range, true);
    snap.ids.push_back(i);
    snap.source_tokens.push_back(split);
    snap.cur.push_back(cur);
    snap.prev.push_back(prev);
    snap.names.push_back(ent.name);
    snap.team_ids.push_back(ent.team);
    snap.org_ids.push_back(ent.org);
    snap.groups.push_back(e == Entity::kUser ? ent.team : e == Entity::kTeam ? ent.org : kNoEntity);
  }
  snap.wasted.reserve(snap.ids.size());
  for (const std::string& name : snap.names)
    snap.wasted.push_back(state_->waste ? state_->waste(e, name, snap.range) : 0);
}

std::shared_ptr<Engine::Snapshot> Engine::Build(Entity e, Window w, SourceMask sources) const {
  std::shared_ptr<const Snapshot> reuse;
  {
    std::lock_guard lock(state_->snap_mu);
    reuse = state_->snaps[int(e)][int(w)][sources & kAllSources];
  }
  auto snap = std::make_shared<Snapshot>();
  snap->entity = e;
  snap->window = w;
  snap->sources = sources;
  TimeMs now = clock_.NowMs();
  snap->range = WindowRange(w, now, opts_.tz);
  snap->prev_range = PreviousRange(w, now, opts_.tz);
  snap->built_at = now;
  snap->ranked_count.assign(kMetricCount, -1);
  std::shared_lock lock(state_->mu);
  snap->version = state_->version.load(std::memory_order_acquire);
  // Pruning changes buckets without stamping entities; a later version can
  // only come from another engine state (checkpoint restore clears snaps).
  if (reuse && (reuse->version < state_->pruned_at || reuse->version > snap->version ||
                reuse->sources != sources || !SameHours(reuse->range, snap->range) ||
                !SameHours(reuse->prev_range, snap->prev_range) ||
                FloorDiv(reuse->built_at, kHourMs) != FloorDiv(now, kHourMs)))
    reuse.reset();
  FillRows(*snap, reuse.get());
  double total_value = 0, total_mtok = 0;
  for (const Counters& cur : snap->cur) {
    total_value += cur.value;
    total_mtok += double(cur.Total()) / 1e6;
  }
  const std::vector<uint32_t>& group = snap->groups;
  double rate = total_mtok > 0 ? total_value / total_mtok : 0;
  double k = opts_.efficiency_prior_mtokens;
  auto shrink = [k](double value, double mtok, double prior) {
    return mtok + k > 0 ? (value + k * prior) / (mtok + k) : prior;
  };
  std::unordered_map<uint32_t, std::pair<double, double>> groups;  // group -> (value, mtokens)
  for (size_t i = 0; i < snap->ids.size(); ++i) {
    if (group[i] == kNoEntity) continue;
    auto& g = groups[group[i]];
    g.first += snap->cur[i].value, g.second += double(snap->cur[i].Total()) / 1e6;
  }
  snap->efficiency.resize(snap->ids.size());
  for (size_t i = 0; i < snap->ids.size(); ++i) {
    const Counters& c = snap->cur[i];
    double prior = rate;
    if (group[i] != kNoEntity) {
      const auto& g = groups[group[i]];
      prior = shrink(g.first, g.second, rate);
    }
    snap->efficiency[i] = c.Total() >= opts_.efficiency_min_tokens
                              ? shrink(c.value, double(c.Total()) / 1e6, prior)
                              : -1;
  }
  snap->build_ms = clock_.NowMs() - now;
  return snap;
}

// The metrics readers ranked on the snapshot `fresh` replaces are ranked
// here, on the ticker, before it is published: otherwise the first read of
// each new snapshot sorts every entity (tens of milliseconds at 85,000
// users) while the reader waits, which was the p99 of board reads during
// ingest (docs/PERFORMANCE.md).
void Engine::State::SortAsReadBefore(const Snapshot& fresh) {
  std::shared_ptr<const Snapshot> old;
  {
    std::lock_guard lock(snap_mu);
    old = snaps[int(fresh.entity)][int(fresh.window)][fresh.sources];
  }
  if (!old) return;
  bool read[kMetricCount] = {};
  {
    std::lock_guard lock(old->order_mu);
    for (int m = 0; m < kMetricCount; ++m) read[m] = old->ranked_count[m] >= 0;
  }
  std::lock_guard lock(fresh.order_mu);
  for (int m = 0; m < kMetricCount; ++m)
    if (read[m]) fresh.EnsureOrder(Metric(m));
}

std::shared_ptr<const Engine::Snapshot> Engine::GetSnapshot(Entity e, Window w, SourceMask sources,
                                                            bool keep_fresh) {
  TimeMs now = clock_.NowMs();
  sources &= kAllSources;
  {
    std::lock_guard lock(state_->snap_mu);
    TimeMs& last_read = state_->last_read[int(e)][int(w)][sources];
    // While the ticker keeps a board fresh (a foreground read in the last
    // minute), a read takes a snapshot up to ten periods old rather than
    // build one itself; so does a background reader. A foreground reader of
    // a board nobody kept fresh (only background reads, or none) takes a
    // snapshot only if it is current: it may be a background reader's from
    // before the events this reader just posted.
    bool ticker_kept_it = now - last_read <= kMinuteMs;
    if (keep_fresh) last_read = now;
    auto snap = state_->snaps[int(e)][int(w)][sources];
    // Window edges move on the hour: a snapshot from another hour is stale
    // even when no data changed (a calendar day may have just begun).
    bool same_hour = snap && FloorDiv(snap->built_at, kHourMs) == FloorDiv(now, kHourMs);
    TimeMs periods = ticker_kept_it || !keep_fresh ? 10 : 0;
    bool fresh_enough =
        snap && now - snap->built_at <
                    periods * BoardRefreshAfter(opts_.board_refresh_ms, snap->RefreshMs());
    if (snap && same_hour && (snap->version == version() || fresh_enough)) {
      return snap;
    }
  }
  auto fresh = Build(e, w, sources);
  std::lock_guard lock(state_->snap_mu);
  state_->snaps[int(e)][int(w)][sources] = fresh;
  return fresh;
}

void Engine::RefreshBoards() {
  TimeMs now = clock_.NowMs();
  uint64_t v = version();
  for (int i = 0; i < kEntityCount * 7 * (kAllSources + 1); ++i) {
    int e = i / (7 * (kAllSources + 1)), w = i / (kAllSources + 1) % 7;
    SourceMask m = SourceMask(i % (kAllSources + 1));
    {
      {
        std::lock_guard lock(state_->snap_mu);
        auto& snap = state_->snaps[e][w][m];
        if (!snap || now - state_->last_read[e][w][m] > kMinuteMs) continue;
        bool hour_turned = FloorDiv(snap->built_at, kHourMs) != FloorDiv(now, kHourMs);
        // A board of 85,000 users takes tens of milliseconds to build, under
        // the engine's shared lock (the applier waits): rebuilt at most every
        // ten refreshes' time (build and sort), not every board_refresh_ms, while events flow.
        TimeMs period = BoardRefreshAfter(opts_.board_refresh_ms, snap->RefreshMs());
        if ((snap->version == v && !hour_turned) || now - snap->built_at < period) continue;
      }
      auto fresh = Build(Entity(e), Window(w), m);
      TimeMs sort_start = clock_.NowMs();
      state_->SortAsReadBefore(*fresh);
      fresh->sort_ms = clock_.NowMs() - sort_start;
      std::lock_guard lock(state_->snap_mu);
      state_->snaps[e][w][m] = fresh;
    }
  }
}

Result<Board> Engine::Leaderboard(const BoardQuery& q) {
  auto snap = GetSnapshot(q.entity, q.window, q.sources, !q.background);
  Board b;
  b.query = q;
  b.range = snap->range;
  b.generated_at = snap->built_at;
  b.version = snap->version;
  std::lock_guard lock(snap->order_mu);
  snap->EnsureOrder(q.metric);
  const auto& order = snap->order[int(q.metric)];
  const auto& prev = snap->prev_rank[int(q.metric)];
  int64_t n = int64_t(order.size());
  b.total_entries = n;
  size_t skipped = 0;
  int64_t matches = 0;
  // With a search, the whole order is scanned so total_entries counts the
  // matches; without one, the loop stops at the page's end.
  bool filtered = !q.search.empty() || q.match;
  for (size_t r = 0; r < order.size() && (b.entries.size() < q.limit || filtered); ++r) {
    uint32_t i = order[r];
    if (q.match ? !q.match(snap->names[i])
                : !q.search.empty() && snap->names[i].find(q.search) == std::string::npos)
      continue;
    ++matches;
    if (skipped++ < q.offset || b.entries.size() >= q.limit) continue;
    BoardEntry be;
    be.rank = int64_t(r + 1);
    be.prev_rank = prev[i];
    be.id = snap->names[i];
    be.team = snap->Team(i);
    be.org = snap->Org(i);
    be.c = snap->cur[i];
    be.source_tokens = snap->source_tokens[i];
    be.wasted_tokens = snap->wasted[i];
    be.efficiency = std::max(0.0, snap->efficiency[i]);
    be.percentile = n > 0 ? 100.0 * double(n - int64_t(r)) / double(n) : 0;
    b.entries.push_back(std::move(be));
  }
  if (filtered) b.total_entries = matches;
  return b;
}

}  // namespace burnrate::engine
