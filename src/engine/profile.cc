// Per-entity queries: profiles, one entity's rank, daily streaks.
//
// Streaks walk each user's hourly buckets backwards from the newest and
// map every active hour to its local day through a table of local
// midnights (one time-zone lookup per day, not per bucket), so all users'
// streaks cost one pass over their recent buckets. A day is active when it
// has any usage, request or outcome. Buckets older than keep_hours are
// gone, so a streak is at most keep_hours / 24 days long (64 by default).
#include <algorithm>
#include <mutex>
#include <shared_mutex>

#include "engine/engine.h"
#include "engine/engine_state.h"

namespace burnrate::engine {
namespace {

// Local midnights: starts[d] is the start of the day d days before today.
std::vector<TimeMs> DayStarts(TimeMs now, const TimeZone& tz, int days) {
  std::vector<TimeMs> starts;
  TimeMs today = tz.DayStart(now);
  for (int d = 0; d <= days; ++d) starts.push_back(tz.AddDays(today, -d));
  return starts;
}

Streak StreakOf(const EntityState& u, const std::vector<TimeMs>& starts) {
  Streak s;
  size_t d = 0, first = 0, last = 0;
  // Usage and outcome hours merged, newest first.
  auto it = u.hours.rbegin();
  auto ot = u.outcome_hours.rbegin();
  for (;;) {
    int32_t hour;
    if (it != u.hours.rend() && (ot == u.outcome_hours.rend() || it->hour >= ot->hour)) {
      bool active = it->requests != 0 || it->Tokens() != 0;
      hour = it->hour, ++it;
      if (!active) continue;
    } else if (ot != u.outcome_hours.rend()) {
      bool active = ot->outcomes != 0;
      hour = ot->hour, ++ot;
      if (!active) continue;
    } else {
      break;
    }
    TimeMs t = TimeMs(hour) * kHourMs;
    while (d < starts.size() && t < starts[d]) ++d;
    if (d >= starts.size()) break;
    if (s.days == 0) {
      if (d > 1) break;  // nothing today or yesterday: no current streak
      s.days = 1, first = last = d;
    } else if (d == last + 1) {
      s.days++, last = d;
    } else if (d != last) {
      break;
    }
  }
  if (s.days > 0) {
    s.user = u.name;
    s.last_day = starts[first];
    s.first_day = starts[last];
  }
  return s;
}

}  // namespace

std::vector<Streak> Engine::Streaks() const {
  std::shared_lock lock(state_->mu);
  auto starts = DayStarts(clock_.NowMs(), opts_.tz, opts_.keep_hours / 24 + 1);
  std::vector<Streak> out;
  for (const auto& u : state_->tables[int(Entity::kUser)].entities) {
    Streak s = StreakOf(u, starts);
    if (s.days > 0) out.push_back(std::move(s));
  }
  return out;
}

Result<Profile> Engine::GetProfile(Entity e, std::string_view id) const {
  std::shared_lock lock(state_->mu);
  const EntityTable& table = state_->tables[int(e)];
  uint32_t idx = table.index.Find(id);
  if (idx == NameIndex::kNotFound) {
    return Status::NotFound(std::string(EntityName(e)) + " '" + std::string(id) + "' has no usage");
  }
  const EntityState& ent = table.entities[idx];
  TimeMs now = clock_.NowMs();
  Profile p;
  p.entity = e;
  p.id = ent.name;
  if (ent.team != kNoEntity) p.team = state_->tables[int(Entity::kTeam)].entities[ent.team].name;
  if (ent.org != kNoEntity) p.org = state_->tables[int(Entity::kOrg)].entities[ent.org].name;
  for (Window w : kAllWindows)
    p.windows[int(w)] = w == Window::kAll ? ent.all : ent.Sum(WindowRange(w, now, opts_.tz));
  for (const auto& [m, c] : ent.models)
    p.by_model.emplace_back(state_->tables[int(Entity::kModel)].entities[m].name, c);
  std::sort(p.by_model.begin(), p.by_model.end(),
            [](const auto& a, const auto& b) { return a.second.Total() > b.second.Total(); });
  p.outcomes = ent.outcome_kinds;
  if (e == Entity::kUser) {
    p.sessions = ent.sessions;
    p.longest_sessions = ent.runs;
    for (const OpenEntry* o : ent.open) {
      const std::string& key = o->first;
      if (o->second.end > o->second.start)
        p.longest_sessions.push_back(
            {"", key.substr(key.find('\x1f') + 1), o->second.start, o->second.end});
    }
    std::sort(p.longest_sessions.begin(), p.longest_sessions.end(),
              [](const SessionSpan& a, const SessionSpan& b) { return a.Span() > b.Span(); });
    if (p.longest_sessions.size() > 5) p.longest_sessions.resize(5);
    for (auto& s : p.longest_sessions) s.user = ent.name;
    p.streak = StreakOf(ent, DayStarts(now, opts_.tz, opts_.keep_hours / 24 + 1));
  }
  if (e == Entity::kTeam) {
    for (const auto& u : state_->tables[int(Entity::kUser)].entities)
      if (u.team == idx) p.members.push_back(u.name);
    std::sort(p.members.begin(), p.members.end());
  }
  return p;
}

// One entity's rank without sorting the board: when the snapshot has no
// order for this metric yet (snapshots are rebuilt on every data change),
// the rank is one plus the number of eligible rows that beat this one,
// in one pass; sorting 100,000 rows for every profile view would cost
// tens of milliseconds per (window, metric).
Result<BoardEntry> Engine::Rank(Entity e, Window w, Metric m, std::string_view id) {
  BR_ASSIGN_OR_RETURN(std::vector<BoardEntry> v, Ranks(e, w, id, std::span<const Metric>(&m, 1)));
  return std::move(v[0]);
}

// long: ranks from sorted snapshots where they exist, then one pass over the
// entities for every remaining metric, current and previous window at once.
Result<std::vector<BoardEntry>> Engine::Ranks(Entity e, Window w, std::string_view id,
                                              std::span<const Metric> metrics) {
  uint32_t ent = kNoEntity;
  {
    std::shared_lock lock(state_->mu);
    uint32_t found = state_->tables[int(e)].index.Find(id);
    if (found != NameIndex::kNotFound) ent = found;
  }
  auto not_found = [&] {
    return Status::NotFound(std::string(EntityName(e)) + " '" + std::string(id) +
                            "' has no usage in window " + WindowName(w));
  };
  if (ent == kNoEntity) return not_found();
  auto snap = GetSnapshot(e, w, kAllSources);
  auto pos = std::find(snap->ids.begin(), snap->ids.end(), ent);
  if (pos == snap->ids.end()) return not_found();
  size_t i = size_t(pos - snap->ids.begin());
  size_t k = metrics.size();
  std::vector<BoardEntry> out(k);
  std::vector<int64_t> n(k, 0);
  std::vector<size_t> todo;  // metrics with no order yet: counted below
  {
    std::lock_guard lock(snap->order_mu);
    for (size_t x = 0; x < k; ++x) {
      int mi = int(metrics[x]);
      if (snap->ranked_count[mi] < 0) {
        todo.push_back(x);
        continue;
      }
      const auto& order = snap->order[mi];
      n[x] = snap->ranked_count[mi];
      auto r = std::find(order.begin(), order.end(), uint32_t(i));
      out[x].rank = r == order.end() ? 0 : int64_t(r - order.begin()) + 1;
      out[x].prev_rank = snap->prev_rank[mi][i];
    }
  }
  // One pass for all remaining metrics, current and previous window.
  struct Count {
    Metric m;
    double cur, prev;
    bool cur_ok, prev_ok;
    int64_t n = 0, ahead = 0, prev_ahead = 0;
  };
  std::vector<Count> cs;
  for (size_t x : todo) {
    Metric m = metrics[x];
    cs.push_back({m, snap->Score(m, i, false), snap->Score(m, i, true), snap->Eligible(m, i, false),
                  snap->Eligible(m, i, true)});
  }
  const std::string& name = snap->names[i];
  for (size_t j = 0; j < snap->ids.size() && !cs.empty(); ++j) {
    if (j == i) continue;
    for (Count& c : cs) {
      if (snap->Eligible(c.m, j, false)) {
        ++c.n;
        double sj = snap->Score(c.m, j, false);
        if (sj > c.cur || (sj == c.cur && snap->names[j] < name)) ++c.ahead;
      }
      if (c.prev_ok && snap->Eligible(c.m, j, true)) {
        double sj = snap->Score(c.m, j, true);
        if (sj > c.prev || (sj == c.prev && snap->names[j] < name)) ++c.prev_ahead;
      }
    }
  }
  for (size_t t = 0; t < todo.size(); ++t) {
    const Count& c = cs[t];
    size_t x = todo[t];
    n[x] = c.n + (c.cur_ok ? 1 : 0);
    out[x].rank = c.cur_ok ? c.ahead + 1 : 0;
    out[x].prev_rank = c.prev_ok && c.m != Metric::kEfficiency ? c.prev_ahead + 1 : 0;
  }
  for (size_t x = 0; x < k; ++x) {
    BoardEntry& be = out[x];
    be.id = name;
    be.team = snap->Team(i);
    be.org = snap->Org(i);
    be.c = snap->cur[i];
    be.wasted_tokens = snap->wasted[i];
    be.efficiency = std::max(0.0, snap->efficiency[i]);
    be.percentile = be.rank > 0 && n[x] > 0 ? 100.0 * double(n[x] - be.rank + 1) / double(n[x]) : 0;
  }
  return out;
}

}  // namespace burnrate::engine
