// The identity directory: which team a user belongs to, which org a team.
//
// Loaded from a CSV file (header `user,team[,org]`) or a JSON file
// (`[{"user": "...", "team": "...", "org": "..."}]` or `{"users": [...]}`),
// and updated over the admin API. Resolution rules: an event's own team wins
// when given; an unknown user lands in team "unassigned"; a team's org comes
// from the directory, else the event's org, else "default".
// Thread-safety: all methods are thread-safe (a reader-writer lock).
#pragma once

#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/name_index.h"
#include "common/status.h"
#include "model/event.h"

namespace burnrate::model {

inline constexpr std::string_view kUnassignedTeam = "unassigned";
inline constexpr std::string_view kDefaultOrg = "default";

struct Member {
  std::string user;
  std::string team;
  std::string org;  // may be empty: the team's org, else "default"
};

class Identity {
 public:
  // Loads a .csv or .json file; errors name the file and line.
  Status LoadFile(const std::string& path);
  Status LoadCsv(std::string_view text, std::string_view origin);
  Status LoadJson(std::string_view text, std::string_view origin);

  void Upsert(const Member& m);
  // Remembers the team (and org) an event names for a user the directory
  // does not know yet, so later lookups without a team (budgets, the check
  // API) resolve the same way. Directory entries are never overridden.
  void Learn(const Event& e);
  // Fills e.team and e.org following the rules above.
  void Resolve(Event& e) const;
  // Learn then Resolve for each event in order, under one shared lock for
  // the batch (two lock round trips per event were a tenth of the parse
  // thread's time); an event with a new user takes the exclusive lock.
  void LearnAndResolve(std::span<Event> events);
  std::vector<Member> List() const;
  size_t size() const;

 private:
  using UserNode = std::pair<const std::string, std::string>;
  void Index(const UserNode& node);    // caller holds mu_ exclusively
  void ResolveLocked(Event& e) const;  // caller holds mu_

  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, std::string> user_team_;  // guarded by mu_
  std::unordered_map<std::string, std::string> team_org_;   // guarded by mu_
  // user_team_ by a flat index on its keys (a map's nodes never move): the
  // per-event lookup of one of 85,000 interleaved users is one slot load,
  // not a bucket's and a node's. user_nodes_[id]: the node. Guarded by mu_.
  NameIndex user_index_;
  std::vector<const UserNode*> user_nodes_;
};

}  // namespace burnrate::model
