// Conformance suites for the store's own interfaces (store.h): EventStore
// (append, scans in arrival order, retention into rollups, positions for
// checkpoints), KeyStore and MetaStore. See conformance.h.
#pragma once

#include <map>
#include <thread>
#include <vector>

#include "store/conformance/conformance.h"
#include "store/store.h"

namespace burnrate::store::conformance {

using EventStoreConformance = ConformanceTest<EventStore>;
using KeyStoreConformance = ConformanceTest<KeyStore>;
using MetaStoreConformance = ConformanceTest<MetaStore>;

inline model::Event UsageEvent(std::string id, TimeMs ts, TimeMs received,
                               std::string user = "alice") {
  model::Event e;
  e.id = std::move(id);
  e.ts = ts, e.received = received;
  e.user = std::move(user), e.team = "platform", e.org = "acme", e.project = "burnrate";
  e.source = "api", e.session = "s1", e.client = "laptop", e.model = "claude-sonnet-4-5";
  e.tokens = {100, 20, 3000, 400, 100};
  e.cost_nanos = 123456;
  return e;
}

inline std::vector<std::string> ScanIds(EventStore& s, TimeMs from) {
  std::vector<std::string> ids;
  Status st = s.ScanEvents(from, [&](const model::Event& e) {
    ids.push_back(e.id);
    return Status::OK();
  });
  EXPECT_TRUE(st.ok()) << st.ToString();
  return ids;
}

constexpr TimeMs kDay0 = 1'773'100'800'000;  // 2026-03-10T00:00:00Z

TEST_P(EventStoreConformance, AppendsAreScannedInArrivalOrderWithEveryField) {
  EXPECT_EQ(*s().CountEvents(), 0);
  EXPECT_EQ(s().LastBlock()->seq, 0);
  std::vector<model::Event> first = {UsageEvent("e1", kDay0, kDay0 + 10),
                                     UsageEvent("e2", kDay0 + 5, kDay0 + 10, "bob")};
  ASSERT_TRUE(s().Append(first).ok());
  std::vector<model::Event> a = {UsageEvent("e3", kDay0, kDay0 + 20)},
                            b = {UsageEvent("e4", kDay0, kDay0 + 20)};
  std::span<const model::Event> runs[] = {a, b};
  ASSERT_TRUE(s().AppendRuns(runs).ok());
  EXPECT_EQ(*s().CountEvents(), 4);
  EXPECT_EQ(ScanIds(s(), 0), (std::vector<std::string>{"e1", "e2", "e3", "e4"}));
  EXPECT_EQ(ScanIds(s(), kDay0 + 15), (std::vector<std::string>{"e3", "e4"}));
  model::Event back;
  ASSERT_TRUE(s().ScanEvents(0,
                             [&](const model::Event& e) {
                               if (e.id == "e2") back = e;
                               return Status::OK();
                             })
                  .ok());
  model::Event want = first[1];
  EXPECT_EQ(back.user, want.user);
  EXPECT_EQ(back.team, want.team);
  EXPECT_EQ(back.org, want.org);
  EXPECT_EQ(back.project, want.project);
  EXPECT_EQ(back.session, want.session);
  EXPECT_EQ(back.client, want.client);
  EXPECT_EQ(back.model, want.model);
  EXPECT_EQ(back.ts, want.ts);
  EXPECT_EQ(back.received, want.received);
  EXPECT_EQ(back.tokens.Total(), want.tokens.Total());
  EXPECT_EQ(back.tokens.cache_write_1h, want.tokens.cache_write_1h);
  EXPECT_EQ(back.cost_nanos, want.cost_nanos);
}

TEST_P(EventStoreConformance, BatchesAndBlocksCoverTheSameEvents) {
  for (int c = 0; c < 3; ++c) {
    std::vector<model::Event> commit;
    for (int i = 0; i < 100; ++i)
      commit.push_back(
          UsageEvent("c" + std::to_string(c) + "_" + std::to_string(i), kDay0, kDay0 + c));
    ASSERT_TRUE(s().Append(commit).ok());
  }
  size_t batched = 0, blocked = 0;
  ASSERT_TRUE(s().ScanEventBatches(0,
                                   [&](std::span<const model::Event> b) {
                                     batched += b.size();
                                     return Status::OK();
                                   })
                  .ok());
  std::vector<model::Event> mine;
  ASSERT_TRUE(s().ScanEventBlocks(0,
                                  [&](std::vector<model::Event>& b) {
                                    blocked += b.size();
                                    mine.swap(b);  // the caller may keep a block
                                    return Status::OK();
                                  })
                  .ok());
  EXPECT_EQ(batched, 300u);
  EXPECT_EQ(blocked, 300u);
  Status stop = s().ScanEvents(0, [](const model::Event&) { return Status::Internal("stop"); });
  EXPECT_EQ(stop.code(), Status::Code::kInternal);  // fn's error stops the scan
}

TEST_P(EventStoreConformance, PositionsForCheckpoints) {
  std::vector<model::Event> one = {UsageEvent("p1", kDay0, kDay0)},
                            two = {UsageEvent("p2", kDay0, kDay0 + 1),
                                   UsageEvent("p3", kDay0, kDay0 + 2)};
  ASSERT_TRUE(s().Append(one).ok());
  BlockMark m1 = *s().LastBlock();
  ASSERT_TRUE(s().Append(two).ok());
  BlockMark m2 = *s().LastBlock();
  EXPECT_GT(m1.seq, 0);
  EXPECT_GT(m2.seq, m1.seq);  // global order
  EXPECT_EQ(m2.n, 2);
  EXPECT_EQ(m2.received_max, kDay0 + 2);
  EXPECT_EQ(*s().FindBlock(m1.seq), m1);
  EXPECT_EQ(s().FindBlock(m2.seq + 1000).status().code(), Status::Code::kNotFound);
  EXPECT_EQ(*s().PurgedThrough(), 0);
  // Resuming after m1: every later block whole, with its seq.
  std::vector<std::pair<int64_t, size_t>> seen;
  ASSERT_TRUE(s().ScanEventBlocksAfter(m1.seq, INT64_MAX,
                                       [&](int64_t seq, std::vector<model::Event>& b) {
                                         seen.emplace_back(seq, b.size());
                                         return Status::OK();
                                       })
                  .ok());
  EXPECT_EQ(seen, (std::vector<std::pair<int64_t, size_t>>{{m2.seq, 2}}));
}

TEST_P(EventStoreConformance, PurgeFoldsOldEventsIntoRollups) {
  std::vector<model::Event> old = {UsageEvent("o1", kDay0, kDay0),
                                   UsageEvent("o2", kDay0 + 1000, kDay0 + 1000)};
  std::vector<model::Event> young = {UsageEvent("y1", kDay0 + kDayMs, kDay0 + kDayMs)};
  ASSERT_TRUE(s().Append(old).ok());
  BlockMark old_block = *s().LastBlock();
  ASSERT_TRUE(s().Append(young).ok());
  auto folded = s().Purge(kDay0 + kDayMs);
  ASSERT_TRUE(folded.ok()) << folded.status().ToString();
  EXPECT_EQ(*folded, 2);
  EXPECT_EQ(*s().CountEvents(), 1);
  EXPECT_EQ(ScanIds(s(), 0), (std::vector<std::string>{"y1"}));
  EXPECT_GE(*s().PurgedThrough(), old_block.seq);
  int64_t tokens = 0, requests = 0, cost = 0;
  ASSERT_TRUE(s().ScanRollups([&](const model::Event& r) {
                   EXPECT_TRUE(r.id.empty());
                   tokens += r.tokens.Total(), requests += r.requests, cost += r.cost_nanos;
                   return Status::OK();
                 })
                  .ok());
  EXPECT_EQ(tokens, old[0].tokens.Total() + old[1].tokens.Total());
  EXPECT_EQ(cost, old[0].cost_nanos + old[1].cost_nanos);
  EXPECT_EQ(requests, old[0].requests + old[1].requests);
}

TEST_P(EventStoreConformance, EventsSurviveReopening) {
  if (!persistent()) GTEST_SKIP() << "not persistent";
  std::vector<model::Event> ev = {UsageEvent("r1", kDay0, kDay0)};
  ASSERT_TRUE(s().Append(ev).ok());
  BlockMark m = *s().LastBlock();
  Reopen();
  EXPECT_EQ(ScanIds(s(), 0), (std::vector<std::string>{"r1"}));
  EXPECT_EQ(*s().LastBlock(), m);
}

// Nodes sharing a database: the same event id appended through two
// connections at once (and again later) is stored once, and a block holds
// only the events that won; the order of blocks stays global.
TEST_P(EventStoreConformance, AnIdPostedToTwoNodesAtOnceIsStoredOnce) {
  if (!GetParam().shared) GTEST_SKIP() << "one node per database: ingest de-duplicates in memory";
  std::unique_ptr<EventStore> other = OpenAnother();
  ASSERT_NE(other, nullptr);
  // Two nodes each append 20 commits of 50 events; ids 0..999 overlap half.
  auto commit = [](int node, int c) {
    std::vector<model::Event> ev;
    for (int i = 0; i < 50; ++i) {
      int id = c * 25 + i;  // consecutive commits overlap by 25 ids
      ev.push_back(UsageEvent("d" + std::to_string(id), kDay0, kDay0 + node));
    }
    return ev;
  };
  Status sa, sb;
  std::thread a([&] {
    for (int c = 0; c < 20 && sa.ok(); ++c) sa = s().Append(commit(0, c));
  });
  std::thread b([&] {
    for (int c = 19; c >= 0 && sb.ok(); --c) sb = other->Append(commit(1, c));
  });
  a.join(), b.join();
  ASSERT_TRUE(sa.ok()) << sa.ToString();
  ASSERT_TRUE(sb.ok()) << sb.ToString();
  std::vector<std::string> ids = ScanIds(s(), 0);
  std::map<std::string, int> seen;
  for (const std::string& id : ids) ++seen[id];
  EXPECT_EQ(seen.size(), 19u * 25 + 50);  // d0 .. d524
  for (const auto& [id, n] : seen) EXPECT_EQ(n, 1) << id;
  EXPECT_EQ(*s().CountEvents(), int64_t(seen.size()));
  EXPECT_EQ(*other->CountEvents(), int64_t(seen.size()));
  std::vector<model::Event> again = commit(0, 3);
  again.push_back(UsageEvent("fresh", kDay0, kDay0 + 5));
  ASSERT_TRUE(other->Append(again).ok());  // later: only the new id is stored
  EXPECT_EQ(*s().CountEvents(), int64_t(seen.size()) + 1);
  EXPECT_EQ(s().LastBlock()->n, 1);
  int64_t prev = 0;  // blocks come back in ascending seq
  ASSERT_TRUE(s().ScanEventBlocksAfter(0, INT64_MAX,
                                       [&](int64_t seq, std::vector<model::Event>&) {
                                         EXPECT_GT(seq, prev);
                                         prev = seq;
                                         return Status::OK();
                                       })
                  .ok());
}

// Tailing a shared log: each node reads the other's blocks after its
// position, in seq order, never its own, and its position passes its own
// blocks too; an id lost to the other node is reported, not stored.
TEST_P(EventStoreConformance, EachNodeTailsTheOthersBlocksAndLearnsWhichIdsItLost) {
  if (!GetParam().shared) {
    EXPECT_FALSE(s().shared_log());
    auto none = s().TailBlocks(0, 16, [](int64_t, std::vector<model::Event>&) {
      ADD_FAILURE() << "a store that is not shared has nothing to tail";
      return Status::OK();
    });
    ASSERT_TRUE(none.ok());
    EXPECT_EQ(*none, 0);
    GTEST_SKIP() << "one node per database: nothing to tail";
  }
  std::unique_ptr<EventStore> other = OpenAnother();
  ASSERT_NE(other, nullptr);
  EXPECT_TRUE(s().shared_log());
  auto tail = [](EventStore& node, int64_t after, std::vector<std::string>* ids) {
    return node.TailBlocks(after, 2, [&](int64_t, std::vector<model::Event>& b) {
      for (const model::Event& e : b) ids->push_back(e.id);
      return Status::OK();
    });
  };
  ASSERT_TRUE(s().Append(std::vector{UsageEvent("a1", kDay0, kDay0)}).ok());
  ASSERT_TRUE(other->Append(std::vector{UsageEvent("b1", kDay0, kDay0 + 1)}).ok());
  ASSERT_TRUE(s().Append(std::vector{UsageEvent("a2", kDay0, kDay0 + 2)}).ok());
  // The other node posts a2 again and b2: a2 is lost to this node's copy.
  std::vector<model::Event> both = {UsageEvent("a2", kDay0, kDay0 + 3),
                                    UsageEvent("b2", kDay0, kDay0 + 3)};
  std::span<const model::Event> runs[] = {both};
  std::vector<const model::Event*> lost;
  ASSERT_TRUE(other->AppendRunsReporting(runs, &lost).ok());
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_EQ(lost[0], &both[0]);
  int64_t newest = s().LastBlock()->seq;
  // This node, two blocks a call: b1 and b2, never a1 or a2; the position
  // reaches the newest block.
  std::vector<std::string> seen;
  int64_t pos = 0;
  for (int i = 0; i < 4 && pos < newest; ++i) {
    auto r = tail(s(), pos, &seen);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_GT(*r, pos);
    pos = *r;
  }
  EXPECT_EQ(pos, newest);
  EXPECT_EQ(seen, (std::vector<std::string>{"b1", "b2"}));
  // The other node sees a1 and a2 once.
  seen.clear();
  pos = 0;
  for (int i = 0; i < 4 && pos < newest; ++i) pos = *tail(*other, pos, &seen);
  EXPECT_EQ(seen, (std::vector<std::string>{"a1", "a2"}));
  // Nothing new: the position stays.
  seen.clear();
  EXPECT_EQ(*tail(s(), newest, &seen), newest);
  EXPECT_TRUE(seen.empty());
}

inline ApiKey Key(std::string id, std::string hash, TimeMs created) {
  return {std::move(id), std::move(hash), "gateway", "ada", "laptop", created, false, "core", "x"};
}

TEST_P(KeyStoreConformance, PutFindListRevoke) {
  EXPECT_TRUE(s().ListKeys()->empty());
  ASSERT_TRUE(s().PutKey(Key("k_2", "h2", 2000)).ok());
  ASSERT_TRUE(s().PutKey(Key("k_1", "h1", 1000)).ok());
  auto k = s().FindKeyByHash("h2");
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_EQ(k->id, "k_2");
  EXPECT_EQ(k->role, "gateway");
  EXPECT_EQ(k->user, "ada");
  EXPECT_EQ(k->label, "laptop");
  EXPECT_EQ(k->created, 2000);
  EXPECT_EQ(k->team, "core");
  EXPECT_EQ(k->project, "x");
  EXPECT_FALSE(k->revoked);
  EXPECT_EQ(s().FindKeyByHash("nope").status().code(), Status::Code::kNotFound);
  auto list = s().ListKeys();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id, "k_1");  // oldest first
  ASSERT_TRUE(s().RevokeKey("k_2").ok());
  EXPECT_TRUE(s().FindKeyByHash("h2")->revoked);  // still found, marked
  EXPECT_EQ(s().RevokeKey("k_9").code(), Status::Code::kNotFound);
  ApiKey relabelled = Key("k_1", "h1", 1000);
  relabelled.label = "desktop";
  ASSERT_TRUE(s().PutKey(relabelled).ok());  // same id: replaced
  EXPECT_EQ(s().ListKeys()->size(), 2u);
  EXPECT_EQ(s().FindKeyByHash("h1")->label, "desktop");
}

TEST_P(KeyStoreConformance, KeysSurviveReopening) {
  if (!persistent()) GTEST_SKIP() << "not persistent";
  ASSERT_TRUE(s().PutKey(Key("k_1", "h1", 1000)).ok());
  ASSERT_TRUE(s().RevokeKey("k_1").ok());
  Reopen();
  EXPECT_TRUE(s().FindKeyByHash("h1")->revoked);
}

TEST_P(MetaStoreConformance, PutGetReplace) {
  EXPECT_EQ(s().GetMeta("alias_secret").status().code(), Status::Code::kNotFound);
  ASSERT_TRUE(s().PutMeta("alias_secret", "abc").ok());
  EXPECT_EQ(*s().GetMeta("alias_secret"), "abc");
  ASSERT_TRUE(s().PutMeta("alias_secret", "def").ok());
  EXPECT_EQ(*s().GetMeta("alias_secret"), "def");
  if (!persistent()) return;
  Reopen();
  EXPECT_EQ(*s().GetMeta("alias_secret"), "def");
}

}  // namespace burnrate::store::conformance
