// Day scoring. Baselines are medians (nth_element, O(n) per feature) over the
// peers with enough evidence. Outcome coverage (who reports outcomes at all)
// is counted per team and per source, so a team or a client without outcome
// integration is not read as producing nothing.
//
// The cross-account pass finds accounts whose dominant prompt templates are
// near-identical. Each template SimHash is cut into 8 bands of 8 bits; two
// SimHashes within cluster_bits share at least one band with high
// probability (and certainly when within 7 bits), so only SimHashes that
// share a band bucket are compared. Accounts linked by a near-identical
// template are joined with union-find; the component is the cluster. A
// cluster whose accounts are mostly productive is shared tooling (a team's
// review prompt), not a farm: the detector ignores it.
//
// Synchronised timing: every unproductive account with enough active minutes
// gets a MinHash signature (16 values) of its set of active minutes; 4 bands
// of 4 values bucket likely-similar accounts (a pair with overlap 0.8 shares
// a band with probability 0.88; unrelated busy accounts rarely do). A candidate pair is linked when
// the Jaccard overlap of their active minutes, within the span both were
// active, is at least sync_min_jaccard AND sync_chance_multiple times what
// two independent accounts with the same densities would show
// (p1 p2 / (p1 + p2 - p1 p2)). The chance correction is what keeps dense
// users (two people busy all afternoon, two always-on loops) from looking
// synchronised. In buckets of more than kMaxSyncBucket accounts, each account
// is compared with the first kSyncStar only, which keeps the work linear.
#include "detect/scorer.h"

#include <algorithm>
#include <array>
#include <numeric>
#include <tuple>

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

constexpr int kMinutes = 1440;
constexpr size_t kMaxSyncBucket = 64;
constexpr size_t kSyncStar = 8;
constexpr int kMinHashes = 16;

// perm[m][k]: a fixed random rank of minute m under MinHash function k.
const std::vector<std::array<uint32_t, kMinHashes>>& MinutePerms() {
  static const std::vector<std::array<uint32_t, kMinHashes>> p = [] {
    std::vector<std::array<uint32_t, kMinHashes>> t(kMinutes);
    uint64_t x = 0x243F6A8885A308D3ull;
    for (auto& row : t)
      for (auto& v : row) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        v = static_cast<uint32_t>(x);
      }
    return t;
  }();
  return p;
}

// Bits of a & mask_b (or of a alone when b is null) in minutes [lo, hi).
int CountRange(const std::vector<uint64_t>& a, const std::vector<uint64_t>* b, int lo, int hi) {
  int n = 0;
  for (int w = lo / 64; w <= (hi - 1) / 64; ++w) {
    uint64_t v = a[w] & (b ? (*b)[w] : ~0ull);
    int from = std::max(lo - w * 64, 0), to = std::min(hi - w * 64, 64);
    uint64_t mask = (to >= 64 ? ~0ull : ((1ull << to) - 1)) & ~((1ull << from) - 1);
    n += __builtin_popcountll(v & mask);
  }
  return n;
}

std::pair<int, int> Span(const std::vector<uint64_t>& a) {
  int first = -1, last = -1;
  for (int w = 0; w < int(a.size()); ++w) {
    if (!a[w]) continue;
    if (first < 0) first = w * 64 + __builtin_ctzll(a[w]);
    last = w * 64 + 63 - __builtin_clzll(a[w]);
  }
  return {first, last};
}

}  // namespace

void Scorer::AssignSyncClusters(std::vector<UserDayFeatures>& users,
                                const std::vector<char>& productive) const {
  struct Entry {
    int user;
    int first, last;
    std::array<uint32_t, kMinHashes> mh;
  };
  std::vector<Entry> entries;
  const auto& perm = MinutePerms();
  for (size_t i = 0; i < users.size(); ++i) {
    users[i].sync_accounts = 0;
    const auto& m = users[i].minutes;
    if (m.empty() || productive[i] || users[i].requests < cfg_.min_requests ||
        cfg_.exempt.count(users[i].user))
      continue;
    Entry e{int(i), 0, 0, {}};
    e.mh.fill(UINT32_MAX);
    for (int w = 0; w < int(m.size()); ++w)
      for (uint64_t v = m[w]; v; v &= v - 1) {
        int minute = w * 64 + __builtin_ctzll(v);
        if (minute >= kMinutes) break;
        for (int k = 0; k < kMinHashes; ++k) e.mh[k] = std::min(e.mh[k], perm[minute][k]);
      }
    std::tie(e.first, e.last) = Span(m);
    entries.push_back(e);
  }
  UnionFind uf(entries.size());
  std::unordered_map<uint64_t, std::vector<int>> buckets;
  for (int band = 0; band < 4; ++band) {
    buckets.clear();
    for (size_t i = 0; i < entries.size(); ++i) {
      const uint32_t* v = &entries[i].mh[4 * band];
      uint64_t key =
          ((uint64_t(v[0]) << 32) | v[1]) * 0x9E3779B97F4A7C15ull ^ ((uint64_t(v[2]) << 32) | v[3]);
      buckets[key].push_back(int(i));
    }
    for (const auto& [key, list] : buckets) {
      if (list.size() < 2) continue;
      // Big buckets: compare everyone with the first kSyncStar members only
      // (a star keeps true clusters connected and the work linear).
      size_t heads = list.size() > kMaxSyncBucket ? kSyncStar : list.size();
      for (size_t a = 0; a < heads; ++a)
        for (size_t b = a + 1; b < list.size(); ++b) {
          if (uf.Find(list[a]) == uf.Find(list[b])) continue;
          const Entry &x = entries[list[a]], &y = entries[list[b]];
          int same = 0;  // MinHash estimate of the whole-day overlap: a cheap pre-filter
          for (int k = 0; k < kMinHashes; ++k) same += x.mh[k] == y.mh[k];
          if (same * 8 < kMinHashes * 3) continue;  // estimated overlap under 3/8
          int lo = std::max(x.first, y.first), hi = std::min(x.last, y.last) + 1;
          if (hi - lo < 60) continue;
          const auto &mx = users[x.user].minutes, &my = users[y.user].minutes;
          double inter = CountRange(mx, &my, lo, hi), nx = CountRange(mx, nullptr, lo, hi),
                 ny = CountRange(my, nullptr, lo, hi);
          double uni = nx + ny - inter, span = hi - lo;
          if (uni <= 0) continue;
          double px = nx / span, py = ny / span;
          double chance = px * py / (px + py - px * py);
          double j = inter / uni;
          if (j >= cfg_.sync_min_jaccard && j >= cfg_.sync_chance_multiple * chance)
            uf.Join(list[a], list[b]);
        }
    }
  }
  std::unordered_map<int, int> size;
  for (size_t i = 0; i < entries.size(); ++i) ++size[uf.Find(int(i))];
  for (size_t i = 0; i < entries.size(); ++i) {
    int n = size[uf.Find(int(i))];
    users[entries[i].user].sync_accounts = n > 1 ? n : 0;
  }
}

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

void Scorer::AssignClusters(std::vector<UserDayFeatures>& users,
                            const std::vector<char>& productive) const {
  struct Entry {
    int user;
    uint64_t simhash;
  };
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
          if (x.user == y.user || __builtin_popcountll(x.simhash ^ y.simhash) > cfg_.cluster_bits)
            continue;
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
  // Outcome coverage per team and per source: the share of users with
  // enough requests that reported any outcome.
  std::unordered_map<std::string, std::pair<int, int>> team_cov,
      source_cov;  // with outcomes, users
  for (const auto& u : users) {
    if (u.requests < cfg_.min_requests) continue;
    for (auto* c : {&team_cov[u.team], &source_cov[u.source]})
      c->first += u.outcomes > 0, ++c->second;
  }
  auto coverage = [](const std::unordered_map<std::string, std::pair<int, int>>& m,
                     const std::string& k) {
    auto it = m.find(k);
    return it == m.end() || it->second.second == 0 ? 0.0
                                                   : double(it->second.first) / it->second.second;
  };
  std::vector<ScoredUser> out(users.size());
  std::vector<char> productive(users.size());
  for (size_t i = 0; i < users.size(); ++i) {
    out[i].features = &users[i];
    out[i].peers = team_base[users[i].team];
    out[i].peers.team_outcome_coverage = coverage(team_cov, users[i].team);
    out[i].peers.source_outcome_coverage = coverage(source_cov, users[i].source);
    productive[i] = Productive(users[i], out[i].peers, cfg_);
  }
  AssignClusters(users, productive);
  AssignSyncClusters(users, productive);
  for (size_t i = 0; i < users.size(); ++i) out[i].verdict = Evaluate(users[i], out[i].peers, cfg_);
  return out;
}

}  // namespace burnrate::detect
