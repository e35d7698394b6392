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
  for (auto it = u.hours.rbegin(); it != u.hours.rend(); ++it) {
    if (it->requests == 0 && it->outcomes == 0 && it->input + it->output + it->cache_read + it->cache_write == 0) {
      continue;
    }
    TimeMs t = TimeMs(it->hour) * kHourMs;
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
  auto idx = table.index.find(id);
  if (idx == table.index.end()) {
    return Status::NotFound(std::string(EntityName(e)) + " '" + std::string(id) + "' has no usage");
  }
  const EntityState& ent = table.entities[idx->second];
  TimeMs now = clock_.NowMs();
  Profile p;
  p.entity = e;
  p.id = ent.name;
  if (ent.team != kNoEntity) p.team = state_->tables[int(Entity::kTeam)].entities[ent.team].name;
  if (ent.org != kNoEntity) p.org = state_->tables[int(Entity::kOrg)].entities[ent.org].name;
  for (Window w : kAllWindows) p.windows[int(w)] = w == Window::kAll ? ent.all : ent.Sum(WindowRange(w, now, opts_.tz));
  for (const auto& [m, c] : ent.models) p.by_model.emplace_back(state_->tables[int(Entity::kModel)].entities[m].name, c);
  std::sort(p.by_model.begin(), p.by_model.end(),
            [](const auto& a, const auto& b) { return a.second.Total() > b.second.Total(); });
  p.outcomes = ent.outcome_kinds;
  if (e == Entity::kUser) {
    p.sessions = ent.sessions;
    p.longest_sessions = ent.runs;
    for (const auto& [key, s] : state_->open_sessions) {
      if (s.user == idx->second && s.end > s.start) {
        p.longest_sessions.push_back({"", key.substr(key.find('\x1f') + 1), s.start, s.end});
      }
    }
    std::sort(p.longest_sessions.begin(), p.longest_sessions.end(),
              [](const SessionSpan& a, const SessionSpan& b) { return a.Span() > b.Span(); });
    if (p.longest_sessions.size() > 5) p.longest_sessions.resize(5);
    for (auto& s : p.longest_sessions) s.user = ent.name;
    p.streak = StreakOf(ent, DayStarts(now, opts_.tz, opts_.keep_hours / 24 + 1));
  }
  if (e == Entity::kTeam) {
    for (const auto& u : state_->tables[int(Entity::kUser)].entities)
      if (u.team == idx->second) p.members.push_back(u.name);
    std::sort(p.members.begin(), p.members.end());
  }
  return p;
}

Result<BoardEntry> Engine::Rank(Entity e, Window w, Metric m, std::string_view id) {
  auto snap = GetSnapshot(e, w);
  std::lock_guard lock(snap->order_mu);
  snap->EnsureOrder(m);
  const auto& order = snap->order[int(m)];
  int64_t n = int64_t(order.size());
  auto fill = [&](size_t i, int64_t rank) {
    BoardEntry be;
    be.rank = rank;
    be.prev_rank = snap->prev_rank[int(m)][i];
    be.id = snap->names[i];
    be.team = snap->teams[i];
    be.org = snap->orgs[i];
    be.c = snap->cur[i];
    be.wasted_tokens = snap->wasted[i];
    be.efficiency = std::max(0.0, snap->efficiency[i]);
    be.percentile = rank > 0 && n > 0 ? 100.0 * double(n - rank + 1) / double(n) : 0;
    return be;
  };
  for (size_t r = 0; r < order.size(); ++r)
    if (snap->names[order[r]] == id) return fill(order[r], int64_t(r + 1));
  for (size_t i = 0; i < snap->names.size(); ++i)
    if (snap->names[i] == id) return fill(i, 0);
  return Status::NotFound(std::string(EntityName(e)) + " '" + std::string(id) + "' has no usage in window " +
                          WindowName(w));
}

}  // namespace burnrate::engine
