// Session runs, for "Session Immortal" and the profile pages.
//
// A session's run is its activity with no pause longer than session_gap_ms
// (30 minutes by default): an agent left running overnight with a ping
// every 20 minutes is one long run; a session resumed the next morning
// starts a new one. Each open session keeps only its current run (start,
// end); an event more than one gap after the end closes the run and opens a
// new one. Events arrive nearly in time order; a late event inside or near
// the current run extends it, an older one is ignored for runs (it still
// counts as usage). Closed runs go to the user's list, which keeps the
// max_runs_per_user longest ones within keep_hours, so memory is bounded by
// users, not by sessions. Idle sessions are closed hourly.
#include <algorithm>

#include "engine/engine_state.h"

namespace burnrate::engine {
namespace {

void KeepRun(EntityState& user, SessionSpan run, size_t max_runs) {
  if (run.end <= run.start) return;  // a single event is no run
  if (user.runs.size() < max_runs) {
    user.runs.push_back(std::move(run));
    return;
  }
  auto shortest = std::min_element(
      user.runs.begin(), user.runs.end(),
      [](const SessionSpan& a, const SessionSpan& b) { return a.Span() < b.Span(); });
  if (shortest->Span() < run.Span()) *shortest = std::move(run);
}

std::string_view SessionOf(std::string_view key) { return key.substr(key.find('\x1f') + 1); }

}  // namespace

void Engine::State::TrackSession(uint32_t user, const std::string& session, TimeMs ts,
                                 TimeMs now_hint, const EngineOptions& o) {
  EntityState& u = tables[int(Entity::kUser)].entities[user];
  auto* entry = u.last_session;
  if (entry == nullptr || SessionOf(entry->first) != session) {
    // The key is built in a reused buffer: a lookup should not allocate
    // (recovery replays millions of events).
    session_key.assign(u.name).push_back('\x1f');
    session_key.append(session);
    auto it = open_sessions.find(std::string_view(session_key));
    if (it == open_sessions.end()) {
      it = open_sessions.emplace(session_key, OpenSession{user, ts, ts}).first;
      u.open.push_back(&*it);
      u.last_session = &*it;
      u.sessions++;
      // A backlog (recovery, a backfill) opens many old sessions at once:
      // close the idle ones early instead of waiting for the hour.
      if (open_sessions.size() > 2 * open_after_close + 100'000) CloseIdleSessions(now_hint, o);
      return;
    }
    entry = u.last_session = &*it;
  }
  OpenSession& s = entry->second;
  if (ts > s.end + o.session_gap_ms) {
    KeepRun(u, {"", session, s.start, s.end}, o.max_runs_per_user);
    s.start = s.end = ts;
  } else if (ts >= s.start - o.session_gap_ms) {
    s.start = std::min(s.start, ts);
    s.end = std::max(s.end, ts);
  }
}

void Engine::State::CloseIdleSessions(TimeMs now, const EngineOptions& o) {
  auto& users = tables[int(Entity::kUser)].entities;
  for (auto it = open_sessions.begin(); it != open_sessions.end();) {
    if (it->second.end + o.session_gap_ms < now) {
      EntityState& u = users[it->second.user];
      KeepRun(u, {"", std::string(SessionOf(it->first)), it->second.start, it->second.end},
              o.max_runs_per_user);
      std::erase(u.open, &*it);
      if (u.last_session == &*it) u.last_session = nullptr;
      it = open_sessions.erase(it);
    } else {
      ++it;
    }
  }
  open_after_close = open_sessions.size();
  TimeMs horizon = now - o.keep_hours * kHourMs;
  for (auto& u : users)
    std::erase_if(u.runs, [&](const SessionSpan& r) { return r.end < horizon; });
}

void Engine::State::AddOutcomeKind(EntityState& ent, const std::string& kind, double amount) {
  for (auto& k : ent.outcome_kinds) {
    if (k.kind == kind) {
      k.events++, k.amount += amount;
      return;
    }
  }
  ent.outcome_kinds.push_back({kind, 1, amount});
}

std::vector<SessionSpan> Engine::LongestSessions(TimeRange r) const {
  std::shared_lock lock(state_->mu);
  const auto& users = state_->tables[int(Entity::kUser)].entities;
  std::vector<SessionSpan> best(users.size());
  auto offer = [&](uint32_t u, std::string_view session, TimeMs start, TimeMs end) {
    if (end < r.from || end >= r.to || end <= start) return;
    if (end - start > best[u].Span()) best[u] = {"", std::string(session), start, end};
  };
  for (uint32_t u = 0; u < users.size(); ++u)
    for (const auto& run : users[u].runs) offer(u, run.session, run.start, run.end);
  for (const auto& [key, s] : state_->open_sessions) offer(s.user, SessionOf(key), s.start, s.end);
  std::vector<SessionSpan> out;
  for (uint32_t u = 0; u < users.size(); ++u) {
    if (best[u].Span() <= 0) continue;
    best[u].user = users[u].name;
    out.push_back(std::move(best[u]));
  }
  return out;
}

}  // namespace burnrate::engine
