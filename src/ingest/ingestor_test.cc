// Contract tests for ingest::Ingestor (ingest/ingest.h) on a real SQLite
// file: per-line answers, durability before the answer, de-duplication
// across batches, threads and restarts, identity and cost enrichment,
// failed commits, and recovery after Purge.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <map>
#include <set>
#include <thread>

#include "common/time_util.h"
#include "engine/engine.h"
#include "ingest/compress_test_util.h"
#include "ingest/ingest.h"
#include "ingest/recovery.h"
#include "model/identity.h"
#include "model/price_book.h"
#include "store/store.h"

namespace burnrate::ingest {
namespace {

using testing_util::Gzip;
using testing_util::Zstd;

namespace fs = std::filesystem;

const TimeMs kNow = *ParseRfc3339("2026-03-21T14:30:00Z");

// A store that can be told to fail its appends; everything else goes to
// the real SQLite store.
class FlakyStore final : public store::Store {
 public:
  explicit FlakyStore(std::unique_ptr<store::Store> s) : s_(std::move(s)) {}
  std::atomic<bool> fail{false};
  std::atomic<int> appends{0};
  Status Append(std::span<const model::Event> e) override {
    ++appends;
    return fail ? Status::IOError("disk on fire") : s_->Append(e);
  }
  Status ScanEvents(TimeMs f, const std::function<Status(const model::Event&)>& fn) override {
    return s_->ScanEvents(f, fn);
  }
  Status ScanRollups(const std::function<Status(const model::Event&)>& fn) override {
    return s_->ScanRollups(fn);
  }
  Result<int64_t> Purge(TimeMs b) override { return s_->Purge(b); }
  Result<int64_t> CountEvents() override { return s_->CountEvents(); }
  Status PutKey(const store::ApiKey& k) override { return s_->PutKey(k); }
  Result<store::ApiKey> FindKeyByHash(const std::string& h) override {
    return s_->FindKeyByHash(h);
  }
  Result<std::vector<store::ApiKey>> ListKeys() override { return s_->ListKeys(); }
  Status RevokeKey(const std::string& id) override { return s_->RevokeKey(id); }
  Status PutMeta(const std::string& k, const std::string& v) override { return s_->PutMeta(k, v); }
  Result<std::string> GetMeta(const std::string& k) override { return s_->GetMeta(k); }

 private:
  std::unique_ptr<store::Store> s_;
};

// One "process": store, engine, ingestor over the test's database file.
struct Node {
  Node(const std::string& path, FakeClock& clock, model::Identity& identity,
       const model::PriceBook& prices, IngestOptions opts = {}) {
    auto s = store::OpenSqliteStore(path);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    store = std::make_unique<FlakyStore>(std::move(*s));
    engine::EngineOptions eo;
    eo.board_refresh_ms = 0;
    engine = std::make_unique<engine::Engine>(eo, clock);
    ingestor = std::make_unique<Ingestor>(opts, *store, *engine, identity, prices, clock);
    Status st = ingestor->Recover();
    EXPECT_TRUE(st.ok()) << st.ToString();
    ingestor->Start();
  }
  ~Node() { ingestor->Stop(); }

  Result<IngestResult> Submit(std::string body) {
    std::promise<Result<IngestResult>> p;
    auto f = p.get_future();
    ingestor->SubmitNdjson(body, [&](Result<IngestResult> r) { p.set_value(std::move(r)); });
    auto r = f.get();
    ingestor->WaitApplied();  // the engine is updated just after the answer
    return r;
  }

  Result<IngestResult> SubmitBody(std::string body, Encoding enc, size_t max_decoded = 1 << 30) {
    std::promise<Result<IngestResult>> p;
    auto f = p.get_future();
    ingestor->SubmitBody(std::move(body), enc, max_decoded,
                         [&](Result<IngestResult> r) { p.set_value(std::move(r)); });
    auto r = f.get();
    ingestor->WaitApplied();
    return r;
  }

  engine::Counters UserTotals(const std::string& user) {
    auto s = engine->Usage(engine::Entity::kUser, user, {0, kNow + kDayMs * 365},
                           engine::Granularity::kDay);
    return s.ok() ? s->totals : engine::Counters{};
  }

  std::unique_ptr<FlakyStore> store;
  std::unique_ptr<engine::Engine> engine;
  std::unique_ptr<Ingestor> ingestor;
};

std::string Line(const std::string& id, const std::string& user = "alice", int64_t input = 100,
                 const std::string& extra = "") {
  return R"({"id":")" + id + R"(","user":")" + user +
         R"(","model":"claude-sonnet-4-5","input_tokens":)" + std::to_string(input) + extra + "}\n";
}

class IngestorTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(testing::TempDir()) /
           ("ingestor_test_" + std::to_string(getpid()) + "_" +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "burnrate.db").string();
    identity_.Upsert({"alice", "platform", "acme"});
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  std::string path_;
  FakeClock clock_{kNow};
  model::Identity identity_;
  model::PriceBook prices_;  // built-in
};

TEST_F(IngestorTest, AnswersPerLineAndIsDurableBeforeTheAnswer) {
  Node n(path_, clock_, identity_, prices_);
  auto r = n.Submit(Line("a") + Line("b") +
                    R"({"id":"c","user":"alice","model":"m","input_tokens":-1})"
                    "\n" +
                    Line("a") + "garbage\n" + Line("d", "bob"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->accepted, 3);
  EXPECT_EQ(r->duplicates, 1);  // "a" twice in one batch
  ASSERT_EQ(r->rejected.size(), 2u);
  EXPECT_EQ(r->rejected[0].line, 3);
  EXPECT_EQ(r->rejected[0].field, "input_tokens");
  EXPECT_EQ(r->rejected[1].line, 5);
  // On disk when the answer came.
  EXPECT_EQ(*n.store->CountEvents(), 3);
  EXPECT_EQ(n.UserTotals("alice").input, 200);
  IngestStats st = n.ingestor->stats();
  EXPECT_EQ(st.accepted, 3);
  EXPECT_EQ(st.duplicates, 1);
  EXPECT_EQ(st.rejected, 2);
  EXPECT_GE(st.commits, 1);
  EXPECT_EQ(st.dedup_entries, 3);
}

TEST_F(IngestorTest, EnrichesTeamOrgSourceAndCost) {
  Node n(path_, clock_, identity_, prices_);
  ASSERT_TRUE(n.Submit(Line("a") + Line("b", "stranger") +
                       Line("c", "alice", 1000, R"(,"team":"research","cost_usd":1.5)"))
                  .ok());
  std::vector<model::Event> got;
  ASSERT_TRUE(n.store
                  ->ScanEvents(0,
                               [&](const model::Event& e) {
                                 got.push_back(e);
                                 return Status::OK();
                               })
                  .ok());
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].team, "platform");
  EXPECT_EQ(got[0].org, "acme");
  EXPECT_EQ(got[0].source, "api");
  EXPECT_EQ(got[0].received, kNow);
  EXPECT_EQ(got[0].cost_nanos, 300'000);  // 100 input tokens at $3/M, from the price table
  EXPECT_EQ(got[1].team, "unassigned");
  EXPECT_EQ(got[1].org, "default");
  EXPECT_EQ(got[2].team, "research");           // the event's own team wins
  EXPECT_EQ(got[2].cost_nanos, 1'500'000'000);  // a given cost wins
}

// A client reporting $0 for real tokens of a model it has no price for (as
// Claude Code's OTLP export does for a new default model) gets ours,
// marked; a $0 for an exactly priced model is the client's to say.
TEST_F(IngestorTest, AReportedZeroCostForAModelWithoutAnExactPriceIsPricedFromItsFamily) {
  Node n(path_, clock_, identity_, prices_);
  auto ev = [](const std::string& id, const std::string& model) {
    return R"({"id":")" + id + R"(","user":"alice","model":")" + model +
           R"(","output_tokens":1000000,"cost_usd":0})"
           "\n";
  };
  ASSERT_TRUE(n.Submit(ev("new", "claude-opus-5-5") + ev("odd", "no-such-model") +
                       ev("free", "claude-sonnet-4-5"))
                  .ok());
  std::vector<model::Event> got;
  ASSERT_TRUE(n.store
                  ->ScanEvents(0,
                               [&](const model::Event& e) {
                                 got.push_back(e);
                                 return Status::OK();
                               })
                  .ok());
  ASSERT_EQ(got.size(), 3u);
  EXPECT_GT(got[0].cost_nanos, 0);
  EXPECT_EQ(got[0].cost_basis, model::CostBasis::kEstimated);
  EXPECT_EQ(got[1].cost_nanos, 0);
  EXPECT_EQ(got[1].cost_basis, model::CostBasis::kUnpriced);
  EXPECT_EQ(got[2].cost_nanos, 0);
  EXPECT_EQ(got[2].cost_basis, model::CostBasis::kPriced);
}

TEST_F(IngestorTest, DuplicatesAcrossBatchesAndRestarts) {
  {
    Node n(path_, clock_, identity_, prices_);
    ASSERT_EQ(n.Submit(Line("a") + Line("b")).value().accepted, 2);
    auto again = n.Submit(Line("b") + Line("c"));
    EXPECT_EQ(again->accepted, 1);
    EXPECT_EQ(again->duplicates, 1);
  }
  // A restart rebuilds the engine and the de-duplication index from disk.
  clock_.Advance(kDayMs);
  Node n(path_, clock_, identity_, prices_);
  EXPECT_EQ(n.UserTotals("alice").input, 300);
  EXPECT_EQ(n.UserTotals("alice").requests, 3);
  auto r = n.Submit(Line("a") + Line("c") + Line("d"));
  EXPECT_EQ(r->accepted, 1);
  EXPECT_EQ(r->duplicates, 2);
  EXPECT_EQ(*n.store->CountEvents(), 4);
}

TEST_F(IngestorTest, IdsOlderThanTheWindowAreNotRestored) {
  {
    Node n(path_, clock_, identity_, prices_);
    ASSERT_EQ(n.Submit(Line("old", "alice", 1, R"(,"ts":")" + FormatRfc3339(kNow) + "\""))
                  .value()
                  .accepted,
              1);
  }
  clock_.Advance(9 * kDayMs);
  Node n(path_, clock_, identity_, prices_);
  EXPECT_EQ(n.ingestor->stats().dedup_entries, 0);
  EXPECT_EQ(n.UserTotals("alice").input, 1);  // but its usage is still counted
}

TEST_F(IngestorTest, ConcurrentClientsWithOverlappingIdsAcceptEachIdOnce) {
  Node n(path_, clock_, identity_, prices_);
  const int kThreads = 8, kBatches = 25, kPerBatch = 40;
  std::atomic<int64_t> accepted{0}, duplicates{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; ++t) {
    ts.emplace_back([&, t] {
      for (int b = 0; b < kBatches; ++b) {
        std::string body;
        // Thread pairs send the same ids: retries racing each other.
        for (int i = 0; i < kPerBatch; ++i)
          body += Line("t" + std::to_string(t / 2) + "-" + std::to_string(b * kPerBatch + i),
                       "u" + std::to_string(t % 3), 1);
        auto r = n.Submit(body);
        ASSERT_TRUE(r.ok());
        accepted += r->accepted;
        duplicates += r->duplicates;
      }
    });
  }
  for (auto& t : ts) t.join();
  n.ingestor->WaitApplied();
  const int64_t unique = kThreads / 2 * kBatches * kPerBatch;
  EXPECT_EQ(accepted.load(), unique);
  EXPECT_EQ(duplicates.load(), unique);
  EXPECT_EQ(*n.store->CountEvents(), unique);
  EXPECT_EQ(n.engine->events_applied(), unique);
  // Group commit: fewer transactions than requests under contention is
  // likely but not guaranteed; never more.
  EXPECT_LE(n.ingestor->stats().commits, kThreads * kBatches);
}

TEST_F(IngestorTest, FailedCommitAnswersErrorAndForgetsIds) {
  Node n(path_, clock_, identity_, prices_);
  n.store->fail = true;
  auto r = n.Submit(Line("a") + Line("b"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kUnavailable);  // 503, Retry-After: send again
  EXPECT_EQ(n.ingestor->stats().commit_errors, 1);
  EXPECT_EQ(n.engine->events_applied(), 0);  // nothing counted that is not on disk
  n.store->fail = false;
  auto retry = n.Submit(Line("a") + Line("b"));
  ASSERT_TRUE(retry.ok());
  EXPECT_EQ(retry->accepted, 2);  // a retry is not mistaken for a duplicate
  EXPECT_EQ(retry->duplicates, 0);
}

// The committer fingerprints a request's events first and asks for their
// index slots some ids ahead (Commit): ids repeated at distances below and
// above that, within a request and across two requests of one commit, are
// each accepted once, and the listener sees the first of each in order.
TEST_F(IngestorTest, DuplicatesNearAndFarInOneLongRequest) {
  auto s = store::OpenSqliteStore(path_);
  ASSERT_TRUE(s.ok());
  engine::Engine eng({}, clock_);
  Ingestor ing({}, **s, eng, identity_, prices_, clock_);
  std::vector<std::string> seen;
  ing.AddListener([&](std::span<const model::Event> evs) {
    for (const auto& e : evs) seen.push_back(e.id);
  });
  ASSERT_TRUE(ing.Recover().ok());
  ing.Start();
  auto make = [&](int n, int first) {
    std::vector<model::Event> evs(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      int id = first + i;
      if (i % 5 == 4) id = first + i - 3;     // a repeat 3 events back
      if (i % 40 == 39) id = first + i - 30;  // and one 30 back
      evs[size_t(i)].id = "d" + std::to_string(id);
      evs[size_t(i)].user = "alice";
      evs[size_t(i)].model = "claude-haiku-4-5";
      evs[size_t(i)].ts = kNow;
    }
    return evs;
  };
  auto r1 = ing.IngestSync(make(400, 0));
  auto r2 = ing.IngestSync(make(400, 200));  // overlaps the first request's ids 200..399
  ASSERT_TRUE(r1.ok() && r2.ok());
  ing.WaitApplied();
  std::vector<std::string> want;
  std::set<std::string> ids;
  for (int first : {0, 200})
    for (const model::Event& e : make(400, first))
      if (ids.insert(e.id).second) want.push_back(e.id);
  EXPECT_EQ(r1->accepted + r2->accepted, int64_t(want.size()));
  EXPECT_EQ(r1->accepted + r1->duplicates + r2->accepted + r2->duplicates, 800);
  EXPECT_EQ(seen, want);
  ing.Stop();
}

TEST_F(IngestorTest, ListenersSeeAcceptedEventsOnly) {
  auto s = store::OpenSqliteStore(path_);
  ASSERT_TRUE(s.ok());
  engine::Engine eng({}, clock_);
  Ingestor ing({}, **s, eng, identity_, prices_, clock_);
  std::vector<std::string> seen;
  ing.AddListener([&](std::span<const model::Event> evs) {
    for (const auto& e : evs) seen.push_back(e.id);
  });
  ASSERT_TRUE(ing.Recover().ok());
  ing.Start();
  std::vector<model::Event> evs(3);
  for (int i = 0; i < 3; ++i) {
    evs[i].id = "x" + std::to_string(i % 2);
    evs[i].user = "alice";
    evs[i].model = "claude-haiku-4-5";
    evs[i].ts = kNow;
  }
  model::Event bad;
  bad.id = "nouser";
  bad.model = "m";
  evs.push_back(bad);
  auto r = ing.IngestSync(evs);
  ASSERT_TRUE(r.ok());
  ing.WaitApplied();
  EXPECT_EQ(r->accepted, 2);
  EXPECT_EQ(r->duplicates, 1);
  ASSERT_EQ(r->rejected.size(), 1u);
  EXPECT_EQ(r->rejected[0].line, 4);
  EXPECT_EQ(r->rejected[0].field, "user");
  EXPECT_EQ(seen, (std::vector<std::string>{"x0", "x1"}));
  ing.Stop();
}

// The same id again is a retry when its source reports the same usage, and
// a conflict (counted, handed to on_conflicts, still a duplicate) when the
// same source reports other usage; another source measuring the same
// response differently is not compared. The digest survives a restart.
TEST_F(IngestorTest, ConflictingDuplicatesAreCountedBySourceAndHandedToListeners) {
  auto run = [&](const std::function<void(Ingestor&)>& body, std::vector<std::string>* conflicts) {
    auto s = store::OpenSqliteStore(path_);
    ASSERT_TRUE(s.ok());
    engine::Engine eng({}, clock_);
    Ingestor ing({}, **s, eng, identity_, prices_, clock_);
    ing.AddListener(Listener{.on_events = [](std::span<const model::Event>) {},
                             .on_conflicts =
                                 [&](std::span<const model::Event> evs) {
                                   for (const auto& e : evs)
                                     conflicts->push_back(e.source + ":" + e.id);
                                 }});
    ASSERT_TRUE(ing.Recover().ok());
    ing.Start();
    body(ing);
    ing.WaitApplied();
    ing.Stop();
  };
  auto ev = [](const std::string& id, const std::string& source, int64_t output) {
    model::Event e;
    e.id = id, e.user = "alice", e.model = "claude-haiku-4-5", e.ts = kNow, e.source = source;
    e.tokens.input = 100, e.tokens.output = output;
    return e;
  };
  std::vector<std::string> conflicts;
  run(
      [&](Ingestor& ing) {
        ASSERT_EQ(
            ing.IngestSync({ev("a", "claude_code", 10), ev("b", "claude_code", 10)})->accepted, 2);
        auto r = ing.IngestSync({ev("a", "claude_code", 10),   // a retry
                                 ev("b", "claude_code", 999),  // edited
                                 ev("a", "proxy", 12)});       // another measurer
        EXPECT_EQ(r->accepted, 0);
        EXPECT_EQ(r->duplicates, 3);
        IngestStats st = ing.stats();
        EXPECT_EQ(st.duplicates, 3);
        EXPECT_EQ(st.conflicting_duplicates, 1);
        EXPECT_EQ(st.conflicts_by_source, (std::map<std::string, int64_t>{{"claude_code", 1}}));
      },
      &conflicts);
  EXPECT_EQ(conflicts, (std::vector<std::string>{"claude_code:b"}));
  conflicts.clear();
  clock_.Advance(kHourMs);
  run(
      [&](Ingestor& ing) {
        auto r = ing.IngestSync({ev("a", "claude_code", 10), ev("a", "claude_code", 11)});
        EXPECT_EQ(r->duplicates, 2);
        EXPECT_EQ(ing.stats().conflicting_duplicates, 1);
      },
      &conflicts);
  EXPECT_EQ(conflicts, (std::vector<std::string>{"claude_code:a"}));
}

TEST_F(IngestorTest, StopDrainsAndLaterSubmitsAreRefused) {
  auto n = std::make_unique<Node>(path_, clock_, identity_, prices_);
  std::vector<std::future<Result<IngestResult>>> fs;
  std::vector<std::shared_ptr<std::promise<Result<IngestResult>>>> ps;
  for (int i = 0; i < 20; ++i) {
    auto p = std::make_shared<std::promise<Result<IngestResult>>>();
    fs.push_back(p->get_future());
    n->ingestor->SubmitNdjson(Line("id" + std::to_string(i)),
                              [p](Result<IngestResult> r) { p->set_value(std::move(r)); });
  }
  n->ingestor->Stop();
  for (auto& f : fs) EXPECT_EQ(f.get().value().accepted, 1);  // every queued batch was committed
  EXPECT_EQ(*n->store->CountEvents(), 20);
  auto late = n->Submit(Line("late"));
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.status().code(), Status::Code::kUnavailable);
}

TEST_F(IngestorTest, SubmitBodyDecodesCountsEveryRejectAndListsTheFirstHundred) {
  std::thread::id parsed_on;
  IngestOptions opts;
  opts.prompt_features = [&](std::string_view text) {
    parsed_on = std::this_thread::get_id();
    model::PromptFeatures f;
    f.length = uint32_t(text.size());
    return f;
  };
  Node n(path_, clock_, identity_, prices_, opts);
  std::string body;
  for (int i = 0; i < 500; ++i) {
    body += "x\n";
    body += Line("g" + std::to_string(i), "alice", 1, R"(,"prompt":{"text":"hi"})");
    body += R"({"id":"d","user":"a","user":"b","model":"m"})"
            "\n";
  }
  for (Encoding enc : {Encoding::kIdentity, Encoding::kGzip, Encoding::kZstd}) {
    std::string packed = enc == Encoding::kGzip   ? Gzip(body)
                         : enc == Encoding::kZstd ? Zstd(body)
                                                  : body;
    auto r = n.SubmitBody(packed, enc);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->accepted + r->duplicates, 500);  // the good lines around the bad ones
    EXPECT_EQ(r->rejected_total, 1000);
    ASSERT_EQ(r->rejected.size(), 100u);
    EXPECT_EQ(r->rejected[0].line, 1);
    EXPECT_EQ(r->rejected[1].line, 3);
    EXPECT_EQ(r->rejected[1].field, "user");
    EXPECT_EQ(r->rejected_by_kind[size_t(RejectKind::kInvalidJson)], 500);
    EXPECT_EQ(r->rejected_by_kind[size_t(RejectKind::kDuplicateKey)], 500);
  }
  EXPECT_NE(parsed_on, std::this_thread::get_id());  // parsed on the pool
  EXPECT_EQ(*n.store->CountEvents(), 500);
  EXPECT_EQ(n.ingestor->stats().rejected, 3000);  // counted, not just listed
}

TEST_F(IngestorTest, SubmitBodyRefusesBombsAndCorruptBodiesKeepingNothing) {
  Node n(path_, clock_, identity_, prices_);
  std::string body;
  while (body.size() < (4 << 20)) body += Line("b" + std::to_string(body.size()));
  for (Encoding enc : {Encoding::kGzip, Encoding::kZstd}) {
    auto r = n.SubmitBody(enc == Encoding::kGzip ? Gzip(body) : Zstd(body), enc, 1 << 20);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Status::Code::kTooLarge);
    EXPECT_NE(r.status().message().find("1048576"), std::string::npos);
  }
  auto bad = n.SubmitBody("not gzip at all", Encoding::kGzip);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(*n.store->CountEvents(), 0);  // the lines before the cap were not kept
  EXPECT_EQ(n.SubmitBody(Gzip(Line("after")), Encoding::kGzip)->accepted, 1);
}

TEST_F(IngestorTest, SubmitBodyCommitsALongBodyInPartsAndAnswersOnceWithTheSums) {
  IngestOptions opts;
  opts.part_events = 100;
  Node n(path_, clock_, identity_, prices_, opts);
  std::string body;
  for (int i = 0; i < 20'000; ++i) {  // 1.5 MB: parts are cut between 64 KiB pieces
    body += Line("p" + std::to_string(i));
    if (i % 10 == 0) body += "bad\n";
  }
  body += Line("p7");  // a duplicate of a line from an earlier part
  auto r = n.SubmitBody(Zstd(body), Encoding::kZstd);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->accepted, 20'000);
  EXPECT_EQ(r->duplicates, 1);
  EXPECT_EQ(r->rejected_total, 2000);
  EXPECT_EQ(r->rejected.size(), 100u);
  EXPECT_EQ(r->rejected[0].line, 2);
  EXPECT_EQ(*n.store->CountEvents(), 20'000);
  EXPECT_GE(n.ingestor->stats().commits, 10);  // 20+ parts, at most two queued at a time
  EXPECT_EQ(n.UserTotals("alice").input, 20'000 * 100);

  // An error after some parts: they stay stored, the answer is the error,
  // and a retry counts them as duplicates.
  std::string more;
  for (int i = 0; i < 30'000; ++i) more += Line("q" + std::to_string(i));
  auto capped = n.SubmitBody(Gzip(more), Encoding::kGzip, more.size() / 2);
  ASSERT_FALSE(capped.ok());
  EXPECT_EQ(capped.status().code(), Status::Code::kTooLarge);
  int64_t stored = *n.store->CountEvents() - 20'000;
  EXPECT_GT(stored, 0);
  EXPECT_LT(stored, 15'000);
  auto retry = n.SubmitBody(Gzip(more), Encoding::kGzip);
  ASSERT_TRUE(retry.ok());
  EXPECT_EQ(retry->duplicates, stored);
  EXPECT_EQ(retry->accepted + retry->duplicates, 30'000);
}

TEST_F(IngestorTest, SubmitBodyAnswersBusyWhenTooManyBodiesWait) {
  std::promise<void> started, release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> first{true};
  IngestOptions opts;
  opts.parse_threads = 1;
  opts.max_waiting_bodies = 1;
  opts.prompt_features = [&](std::string_view) {
    if (first.exchange(false)) {
      started.set_value();
      released.wait();  // holds the only parse thread
    }
    return model::PromptFeatures{};
  };
  Node n(path_, clock_, identity_, prices_, opts);
  std::vector<std::future<Result<IngestResult>>> answers;
  auto submit = [&](const std::string& id) {
    auto p = std::make_shared<std::promise<Result<IngestResult>>>();
    answers.push_back(p->get_future());
    n.ingestor->SubmitBody(Line(id, "alice", 1, R"(,"prompt":{"text":"t"})"), Encoding::kIdentity,
                           1 << 20, [p](Result<IngestResult> r) { p->set_value(std::move(r)); });
  };
  submit("one");
  started.get_future().wait();
  submit("two");    // waits
  submit("three");  // one too many
  ASSERT_EQ(answers[2].wait_for(std::chrono::seconds(5)), std::future_status::ready);
  auto busy = answers[2].get();
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(busy.status().code(), Status::Code::kUnavailable);
  release.set_value();
  EXPECT_EQ(answers[0].get()->accepted, 1);
  EXPECT_EQ(answers[1].get()->accepted, 1);
}

TEST_F(IngestorTest, SubmitBodyAfterStopIsRefused) {
  Node n(path_, clock_, identity_, prices_);
  n.ingestor->Stop();
  auto r = n.SubmitBody(Line("late"), Encoding::kIdentity);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kUnavailable);
}

TEST_F(IngestorTest, RecoveryAfterPurgeKeepsTotals) {
  engine::Counters before;
  {
    Node n(path_, clock_, identity_, prices_);
    std::string body;
    for (int i = 0; i < 50; ++i)
      body += Line("p" + std::to_string(i), i % 2 ? "alice" : "bob", 10 + i,
                   R"(,"ts":)" + std::to_string(kNow - (i % 5) * kDayMs));
    body += R"({"type":"outcome","id":"o1","user":"alice","kind":"commit","value":2})"
            "\n";
    body += R"({"type":"outcome","id":"o2","user":"alice","kind":"commit","value":1})"
            "\n";
    ASSERT_EQ(n.Submit(body)->accepted, 52);
    before = n.UserTotals("alice");
    ASSERT_EQ(*n.store->Purge(kNow + 1), 52);  // everything into rollups
  }
  Node n(path_, clock_, identity_, prices_);
  engine::Counters after = n.UserTotals("alice");
  EXPECT_EQ(after.input, before.input);
  EXPECT_EQ(after.requests, before.requests);
  EXPECT_EQ(after.cost_nanos, before.cost_nanos);
  EXPECT_EQ(after.outcomes, before.outcomes);
  EXPECT_DOUBLE_EQ(after.value, before.value);
  EXPECT_EQ(n.UserTotals("bob").input, [] {
    int64_t s = 0;
    for (int i = 0; i < 50; i += 2) s += 10 + i;
    return s;
  }());
}

// Many batches (more than the recovery ring holds), several hours of
// arrivals: after a restart the engine equals both the live engine and a
// recomputation from the stored events, every id is a duplicate again, and
// each listener is replayed exactly the events received at or after its
// horizon (the boundary event included), in arrival order, through its
// replay function.
TEST_F(IngestorTest, RecoveryRebuildsEverythingAndHonoursListenerHorizons) {
  const int kBatches = 12, kPerBatch = 4000;
  std::map<std::string, int64_t> live_user, live_model;
  std::vector<std::pair<std::string, TimeMs>> arrivals;  // id, received
  {
    Node n(path_, clock_, identity_, prices_);
    for (int b = 0; b < kBatches; ++b) {
      std::vector<model::Event> evs;
      for (int i = 0; i < kPerBatch; ++i) {
        model::Event e;
        int k = b * kPerBatch + i;
        e.id = "ev-" + std::to_string(k);
        e.user = "u" + std::to_string(k % 37);
        e.team = "t" + std::to_string(k % 5);
        e.model = k % 3 ? "claude-sonnet-4-5" : "claude-haiku-4-5";
        e.session = "s" + std::to_string(k / 50);
        e.ts = kNow - (k % 48) * kHourMs;
        e.tokens.input = 1 + k % 1000;
        e.cost_nanos = 7;
        evs.push_back(e);
      }
      auto r = n.ingestor->IngestSync(evs);
      ASSERT_TRUE(r.ok());
      ASSERT_EQ(r->accepted, kPerBatch);
      clock_.Advance(kHourMs);
    }
    n.ingestor->WaitApplied();
    for (int u = 0; u < 37; ++u)
      live_user["u" + std::to_string(u)] = n.UserTotals("u" + std::to_string(u)).input;
    ASSERT_TRUE(n.store
                    ->ScanEvents(0,
                                 [&](const model::Event& e) {
                                   arrivals.emplace_back(e.id, e.received);
                                   return Status::OK();
                                 })
                    .ok());
  }
  ASSERT_EQ(arrivals.size(), size_t(kBatches * kPerBatch));
  const TimeMs horizon = arrivals[5 * kPerBatch].second;  // the sixth commit's arrival time
  auto s = store::OpenSqliteStore(path_);
  ASSERT_TRUE(s.ok());
  engine::Engine eng({}, clock_);
  Ingestor ing({}, **s, eng, identity_, prices_, clock_);
  std::vector<std::string> all, recent, live_only;
  TimeMs asked_at = 0;
  ing.AddListener([&](std::span<const model::Event> evs) {
    for (const auto& e : evs) all.push_back(e.id);
  });
  ing.AddListener(Listener{
      .on_events =
          [&](std::span<const model::Event> evs) {
            for (const auto& e : evs) live_only.push_back(e.id);
          },
      .replay_from = [&](TimeMs now) { return asked_at = now, horizon; },
      .on_replay =
          [&](std::span<const model::Event> evs) {
            for (const auto& e : evs) recent.push_back(e.id);
          },
  });
  ASSERT_TRUE(ing.Recover().ok());
  EXPECT_EQ(asked_at, clock_.NowMs());
  EXPECT_TRUE(live_only.empty());  // replay went to on_replay
  ASSERT_EQ(all.size(), arrivals.size());
  for (size_t i = 0; i < all.size(); ++i) ASSERT_EQ(all[i], arrivals[i].first) << i;
  std::vector<std::string> want;
  for (const auto& [id, received] : arrivals)
    if (received >= horizon) want.push_back(id);
  EXPECT_EQ(want.size(), size_t(7 * kPerBatch));
  EXPECT_EQ(recent, want);
  // The engine equals the live one and a recomputation from the store.
  std::map<std::string, int64_t> stored_user;
  ASSERT_TRUE((*s)->ScanEvents(0,
                               [&](const model::Event& e) {
                                 stored_user[e.user] += e.tokens.input;
                                 return Status::OK();
                               })
                  .ok());
  EXPECT_EQ(eng.events_applied(), int64_t(arrivals.size()));
  for (const auto& [user, input] : live_user) {
    auto u =
        eng.Usage(engine::Entity::kUser, user, {0, kNow + kDayMs * 365}, engine::Granularity::kDay);
    ASSERT_TRUE(u.ok());
    EXPECT_EQ(u->totals.input, input) << user;
    EXPECT_EQ(stored_user[user], input) << user;
  }
  Ingestor::RecoveryStats st = ing.recovery_stats();
  EXPECT_EQ(st.events, int64_t(arrivals.size()));
  EXPECT_EQ(st.dedup_restored, int64_t(arrivals.size()));
  EXPECT_EQ(st.replayed[0], int64_t(arrivals.size()));
  EXPECT_EQ(st.replayed[1], int64_t(want.size()));
  // Every stored id is a duplicate again; live events reach on_events.
  ing.Start();
  std::vector<model::Event> again(3);
  for (int i = 0; i < 3; ++i) {
    again[i].id = "ev-" + std::to_string(i * 20000), again[i].user = "u1", again[i].model = "m",
    again[i].ts = kNow;
  }
  again.push_back(again[0]);
  again.back().id = "fresh";
  auto r = ing.IngestSync(again);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->duplicates, 3);
  EXPECT_EQ(r->accepted, 1);
  ing.WaitApplied();
  EXPECT_EQ(live_only, std::vector<std::string>{"fresh"});
  ing.Stop();
}

// A checkpoint loading on another thread while the index and listeners
// replay (Recover's `engine_loaded`): the wait comes before any event
// reaches the engine, and only the blocks after the checkpoint do; when
// the load fails at the end (checksum), the engine is replayed every
// event, as without a checkpoint, and the index and listeners are whole.
TEST_F(IngestorTest, RecoveryWaitsForTheCheckpointAndReplaysAllWhenItFails) {
  const int kBatches = 6, kPerBatch = 1000;
  std::map<std::string, int64_t> live;
  {
    Node n(path_, clock_, identity_, prices_);
    for (int b = 0; b < kBatches; ++b) {
      std::vector<model::Event> evs(kPerBatch);
      for (int i = 0; i < kPerBatch; ++i) {
        int k = b * kPerBatch + i;
        evs[i].id = "c-" + std::to_string(k), evs[i].user = "u" + std::to_string(k % 7);
        evs[i].model = "claude-sonnet-4-5", evs[i].ts = kNow - (k % 24) * kHourMs;
        evs[i].tokens.input = 1 + k % 100;
      }
      ASSERT_TRUE(n.ingestor->IngestSync(evs).ok());
    }
    n.ingestor->WaitApplied();
    for (int u = 0; u < 7; ++u)
      live["u" + std::to_string(u)] = n.UserTotals("u" + std::to_string(u)).input;
  }
  auto s = store::OpenSqliteStore(path_);
  ASSERT_TRUE(s.ok());
  std::vector<std::pair<int64_t, std::vector<model::Event>>> blocks;
  ASSERT_TRUE((*s)->ScanEventBlocksAfter(-1, 0,
                                         [&](int64_t seq, std::vector<model::Event>& evs) {
                                           blocks.emplace_back(seq, evs);
                                           return Status::OK();
                                         })
                  .ok());
  ASSERT_GE(blocks.size(), 3u);
  const int64_t through = blocks[blocks.size() / 2].first;
  auto totals = [&](engine::Engine& eng) {
    std::map<std::string, int64_t> t;
    for (const auto& [user, input] : live) {
      auto u =
          eng.Usage(engine::Entity::kUser, user, {0, kNow + kDayMs}, engine::Granularity::kDay);
      t[user] = u.ok() ? u->totals.input : -1;
    }
    return t;
  };
  for (bool load_ok : {true, false}) {
    SCOPED_TRACE(load_ok);
    engine::Engine eng({}, clock_);
    Ingestor ing({}, **s, eng, identity_, prices_, clock_);
    int64_t replayed = 0;
    ing.AddListener([&](std::span<const model::Event> evs) { replayed += int64_t(evs.size()); });
    int calls = 0;
    ASSERT_TRUE(ing.Recover(through,
                            [&] {
                              ++calls;
                              EXPECT_EQ(eng.events_applied(), 0);  // nothing before the load
                              if (!load_ok)
                                return false;  // the engine stays empty, as after a bad checksum
                              for (const auto& [seq, evs] : blocks)  // what the checkpoint holds
                                if (seq <= through) eng.Apply(evs);
                              return true;
                            })
                    .ok());
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(eng.events_applied(), int64_t(kBatches * kPerBatch));
    EXPECT_EQ(totals(eng), live);
    EXPECT_EQ(replayed, int64_t(kBatches * kPerBatch));
    EXPECT_EQ(ing.recovery_stats().dedup_restored, int64_t(kBatches * kPerBatch));
  }
}

TEST(RecoveryHorizon, FirstReceivedAtOrAfterIncludesTheBoundary) {
  std::vector<model::Event> evs(4);
  for (int i = 0; i < 4; ++i) evs[i].received = 100 + 10 * i;  // 100 110 120 130
  EXPECT_EQ(FirstReceivedAtOrAfter(evs, 0), 0u);
  EXPECT_EQ(FirstReceivedAtOrAfter(evs, 110), 1u);
  EXPECT_EQ(FirstReceivedAtOrAfter(evs, 111), 2u);
  EXPECT_EQ(FirstReceivedAtOrAfter(evs, 131), 4u);
  EXPECT_EQ(FirstReceivedAtOrAfter({}, 5), 0u);
}

}  // namespace
}  // namespace burnrate::ingest
