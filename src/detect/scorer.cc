// Day scoring. Baselines are medians (nth_element, O(n) per feature) over the
// peers with enough evidence.
//
// The cross-account pass finds accounts whose dominant prompt templates are
// near-identical. Each template SimHash is cut into 8 bands of 8 bits; two
// SimHashes within cluster_bits share at least one band with high
// probability (and certainly when within 7 bits), so only SimHashes that
// share a band bucket are compared. Accounts linked by a near-identical
// template are joined with union-find; the component is the cluster. A
// cluster whose accounts are mostly productive is shared tooling (a team's
// review prompt), not a farm: the detector ignores it.
#include "detect/scorer.h"

#include <algorithm>
#include <numeric>

namespace burnrate::detect {
namespace {

double Median(std::vector<double>& v) {
  if (v.empty()) return 0;
  auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

struct UnionFind {
  std::vector<int> parent;
  explicit UnionFind(size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
  int Find(int x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  }
  void Join(int a, int b) { parent[Find(a)] = Find(b); }
};

}  // namespace

PeerBaseline Scorer::Baseline(const std::vector<const UserDayFeatures*>& group) const {
  PeerBaseline b;
  std::vector<double> tokens, requests, opm, out, ctx, conc;
  for (const UserDayFeatures* f : group) {
    if (f->requests < cfg_.min_requests) continue;
    tokens.push_back(double(f->tokens));
    requests.push_back(double(f->requests));
    if (f->outcomes > 0) opm.push_back(f->outcomes_per_mtok);
    out.push_back(f->output_per_request);
    ctx.push_back(f->cache_read_per_request);
    conc.push_back(f->max_concurrency);
  }
  b.peers = static_cast<int>(tokens.size());
  b.tokens = Median(tokens), b.requests = Median(requests), b.outcomes_per_mtok = Median(opm);
  b.output_per_request = Median(out), b.cache_read_per_request = Median(ctx);
  b.concurrency = Median(conc);
  return b;
}

void Scorer::AssignClusters(std::vector<UserDayFeatures>& users, const std::vector<char>& productive) const {
  struct Entry { int user; uint64_t simhash; };
  std::vector<Entry> entries;
  for (size_t i = 0; i < users.size(); ++i)
    for (const auto& [sh, share] : users[i].templates) entries.push_back({int(i), sh});
  UnionFind uf(users.size());
  std::vector<char> matched(entries.size(), 0);
  std::unordered_map<uint64_t, std::vector<int>> buckets;
  for (int band = 0; band < 8; ++band) {
    buckets.clear();
    for (size_t e = 0; e < entries.size(); ++e)
      buckets[(entries[e].simhash >> (8 * band)) & 0xff].push_back(int(e));
    for (const auto& [key, list] : buckets) {
      if (list.size() < 2) continue;
      for (size_t a = 0; a < list.size(); ++a)
        for (size_t b = a + 1; b < list.size(); ++b) {
          const Entry &x = entries[list[a]], &y = entries[list[b]];
          if (x.user == y.user || __builtin_popcountll(x.simhash ^ y.simhash) > cfg_.cluster_bits) continue;
          uf.Join(x.user, y.user);
          matched[list[a]] = matched[list[b]] = 1;
        }
    }
  }
  std::unordered_map<int, std::pair<int, int>> size;  // root -> accounts, productive accounts
  for (size_t i = 0; i < users.size(); ++i) {
    if (users[i].templates.empty()) continue;
    auto& s = size[uf.Find(int(i))];
    ++s.first;
    s.second += i < productive.size() && productive[i];
  }
  for (auto& u : users) u.cluster_accounts = 0, u.cluster_share = u.cluster_productive = 0;
  for (size_t e = 0; e < entries.size(); ++e) {
    if (!matched[e]) continue;
    UserDayFeatures& u = users[entries[e].user];
    const auto& s = size[uf.Find(entries[e].user)];
    u.cluster_accounts = s.first;
    u.cluster_productive = double(s.second) / double(s.first);
    for (const auto& [sh, share] : u.templates)
      if (sh == entries[e].simhash) u.cluster_share += share;
  }
}

std::vector<ScoredUser> Scorer::Score(std::vector<UserDayFeatures>& users) const {
  std::unordered_map<std::string, std::vector<const UserDayFeatures*>> teams;
  std::vector<const UserDayFeatures*> all;
  all.reserve(users.size());
  for (const auto& u : users) {
    teams[u.team].push_back(&u);
    all.push_back(&u);
  }
  PeerBaseline org = Baseline(all);
  std::unordered_map<std::string, PeerBaseline> team_base;
  for (const auto& [team, group] : teams) {
    PeerBaseline b = Baseline(group);
    team_base[team] = b.peers >= cfg_.min_peers ? b : org;
  }
  std::vector<ScoredUser> out(users.size());
  std::vector<char> productive(users.size());
  for (size_t i = 0; i < users.size(); ++i) {
    out[i].features = &users[i];
    out[i].peers = team_base[users[i].team];
    productive[i] = Productive(users[i], out[i].peers, cfg_);
  }
  AssignClusters(users, productive);
  for (size_t i = 0; i < users.size(); ++i) out[i].verdict = Evaluate(users[i], out[i].peers, cfg_);
  return out;
}

}  // namespace burnrate::detect
