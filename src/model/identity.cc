#include "model/identity.h"

#include <simdjson.h>

#include <fstream>
#include <mutex>
#include <sstream>

#include "common/strings.h"

namespace burnrate::model {

Status Identity::LoadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status::IOError("cannot open identity file " + path);
  std::stringstream ss;
  ss << f.rdbuf();
  std::string text = ss.str();
  if (path.size() >= 5 && path.substr(path.size() - 5) == ".json") return LoadJson(text, path);
  return LoadCsv(text, path);
}

Status Identity::LoadCsv(std::string_view text, std::string_view origin) {
  auto lines = Split(text, '\n');
  int user_col = -1, team_col = -1, org_col = -1;
  std::vector<Member> members;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = Trim(lines[i]);
    if (line.empty() || line[0] == '#') continue;
    auto cols = Split(line, ',');
    if (user_col < 0) {
      for (size_t c = 0; c < cols.size(); ++c) {
        auto h = Trim(cols[c]);
        if (h == "user" || h == "email") user_col = int(c);
        if (h == "team") team_col = int(c);
        if (h == "org") org_col = int(c);
      }
      if (user_col < 0 || team_col < 0) {
        return Status::InvalidArgument(std::string(origin) + ":" + std::to_string(i + 1) +
                                       ": header must name columns user and team");
      }
      continue;
    }
    auto col = [&](int c) {
      return c >= 0 && size_t(c) < cols.size() ? std::string(Trim(cols[c])) : "";
    };
    Member m{col(user_col), col(team_col), col(org_col)};
    if (m.user.empty() || m.team.empty()) {
      return Status::InvalidArgument(std::string(origin) + ":" + std::to_string(i + 1) +
                                     ": user and team must not be empty");
    }
    members.push_back(std::move(m));
  }
  for (const auto& m : members) Upsert(m);
  return Status::OK();
}

Status Identity::LoadJson(std::string_view text, std::string_view origin) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(text.data(), text.size()).get(root)) {
    return Status::InvalidArgument(std::string(origin) + ": not valid JSON");
  }
  simdjson::dom::array arr;
  if (root.get(arr)) {
    if (root["users"].get(arr)) {
      return Status::InvalidArgument(std::string(origin) +
                                     ": expected an array or {\"users\": [...]}");
    }
  }
  std::vector<Member> members;
  size_t i = 0;
  for (auto item : arr) {
    std::string_view user, team, org;
    if (item["user"].get(user) || item["team"].get(team)) {
      return Status::InvalidArgument(std::string(origin) + ": entry " + std::to_string(i) +
                                     ": fields user and team are required strings");
    }
    if (item["org"].get(org)) org = {};  // optional: absent (or not a string) is no org
    members.push_back({std::string(user), std::string(team), std::string(org)});
    ++i;
  }
  for (const auto& m : members) Upsert(m);
  return Status::OK();
}

void Identity::Upsert(const Member& m) {
  std::unique_lock lock(mu_);
  auto [it, inserted] = user_team_.insert_or_assign(m.user, m.team);
  if (inserted) Index(*it);
  if (!m.org.empty()) team_org_[m.team] = m.org;
}

void Identity::Index(const UserNode& node) {
  user_index_.Insert(node.first, uint32_t(user_nodes_.size()));
  user_nodes_.push_back(&node);
}

void Identity::Learn(const Event& e) {
  if (e.team.empty() || e.user.empty()) return;
  {
    std::shared_lock lock(mu_);
    if (user_index_.Find(e.user) != NameIndex::kNotFound) return;
  }
  std::unique_lock lock(mu_);
  auto [it, inserted] = user_team_.try_emplace(e.user, e.team);
  if (inserted) Index(*it);
  if (!e.org.empty()) team_org_.try_emplace(e.team, e.org);
}

void Identity::Resolve(Event& e) const {
  std::shared_lock lock(mu_);
  ResolveLocked(e);
}

void Identity::LearnAndResolve(std::span<Event> events) {
  std::shared_lock lock(mu_);
  for (Event& e : events) {
    if (!e.team.empty() && !e.user.empty() && user_index_.Find(e.user) == NameIndex::kNotFound) {
      lock.unlock();
      Learn(e);
      lock.lock();
    }
    ResolveLocked(e);
  }
}

void Identity::ResolveLocked(Event& e) const {
  if (e.team.empty()) {
    uint32_t id = user_index_.Find(e.user);
    e.team = id != NameIndex::kNotFound ? user_nodes_[id]->second : std::string(kUnassignedTeam);
  }
  if (auto it = team_org_.find(e.team); it != team_org_.end()) {
    e.org = it->second;
  } else if (e.org.empty()) {
    e.org = std::string(kDefaultOrg);
  }
}

std::vector<Member> Identity::List() const {
  std::shared_lock lock(mu_);
  std::vector<Member> out;
  out.reserve(user_team_.size());
  for (const auto& [u, t] : user_team_) {
    auto it = team_org_.find(t);
    out.push_back({u, t, it != team_org_.end() ? it->second : std::string(kDefaultOrg)});
  }
  return out;
}

size_t Identity::size() const {
  std::shared_lock lock(mu_);
  return user_team_.size();
}

}  // namespace burnrate::model
