// Per-stage costs of the ingest path, one event at a time, in one thread:
// parse+validate, de-duplicate, durable append (event blocks; encode and
// decode alone too), engine apply. Compare with
// burnrate-loadgen's end-to-end figure to see where the time goes.
#include <benchmark/benchmark.h>

#include <filesystem>

#include "detect/detect.h"
#include "engine/engine.h"
#include "ingest/dedup_index.h"
#include "ingest/ingest.h"
#include "loadgen_prompt.h"
#include "model/prompt_features.h"
#include "sim/simulator.h"
#include "store/event_block.h"
#include "store/store.h"

using namespace burnrate;

static std::vector<model::Event> Events(size_t n) {
  sim::SimOptions o;
  o.users = 2000;
  o.days = 3;
  o.end = 1'764'000'000'000;
  std::vector<model::Event> out;
  sim::Simulator(o).GenerateAll([&](model::Event&& e) {
    if (out.size() < n) out.push_back(std::move(e));
  });
  return out;
}

// Every event carries a different prompt of about 330 bytes, the one
// `burnrate-loadgen --prompts` sends.
static std::string Body(const std::vector<model::Event>& ev) {
  std::string body;
  int64_t n = 0;
  for (const auto& e : ev) {
    std::string line = sim::Simulator::ToNdjson(e);
    line.pop_back();
    line += ",\"prompt\":{\"text\":\"" + bench::LoadgenPrompt(n++) + "\"}}";
    body += line + "\n";
  }
  return body;
}

// The same body with prompt features off (text parsed, then dropped: the
// baseline of the detection cost target) and on: the difference per item is
// what features cost on the ingest path, caches and all.
static void BM_ParseNdjson(benchmark::State& state) {
  auto ev = Events(10000);
  std::string body = Body(ev);
  ingest::Limits limits;
  limits.retention_ms = 1LL << 50;
  limits.max_future_ms = 1LL << 50;
  ingest::NdjsonParser parser(limits, state.range(0)
                                          ? ingest::PromptFeatureFn(model::ComputePromptFeatures)
                                          : ingest::PromptFeatureFn());
  for (auto _ : state) {
    auto batch = parser.Parse(body, 1'764'000'000'000);
    benchmark::DoNotOptimize(batch.events.data());
  }
  state.SetItemsProcessed(state.iterations() * int64_t(ev.size()));
  state.SetBytesProcessed(state.iterations() * int64_t(body.size()));
}
BENCHMARK(BM_ParseNdjson)->Arg(0)->Arg(1)->ArgName("prompt_features");

static void BM_DedupInsert(benchmark::State& state) {
  ingest::DedupIndex idx;
  uint64_t x = 0x9E3779B97F4A7C15ULL;
  int64_t n = 0;
  for (auto _ : state) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    benchmark::DoNotOptimize(idx.SeenOrInsert(x, 1'764'000'000'000 + (n++ >> 10)));
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes_per_id"] =
      double(idx.memory_bytes()) / double(std::max<size_t>(1, idx.size()));
}
BENCHMARK(BM_DedupInsert);

// What the committer does per event since the index keeps a usage digest
// beside each id (conflicting duplicates, docs/detection.md): the digest of
// the event's source and tokens, then the probe and insert with it.
static void BM_DedupInsertWithUsageDigest(benchmark::State& state) {
  ingest::DedupIndex idx;
  model::Event e;
  e.source = "claude_code";
  e.tokens.input = 1200, e.tokens.cache_read = 30'000;
  uint64_t x = 0x9E3779B97F4A7C15ULL;
  int64_t n = 0;
  for (auto _ : state) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    e.tokens.output = int64_t(x & 0xfff);
    benchmark::DoNotOptimize(idx.Check(x, model::UsageDigest(e), 1'764'000'000'000 + (n++ >> 10)));
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes_per_id"] =
      double(idx.memory_bytes()) / double(std::max<size_t>(1, idx.size()));
}
BENCHMARK(BM_DedupInsertWithUsageDigest);

static void BM_SqliteAppend(benchmark::State& state) {
  auto ev = Events(10000);
  std::string path = "/tmp/burnrate-ingest-bench.db";
  for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path + s);
  auto store = store::OpenSqliteStore(path, {.synchronous_full = state.range(0) != 0});
  int64_t round = 0;
  for (auto _ : state) {
    for (auto& e : ev) e.id = std::to_string(round) + e.id;
    ++round;
    benchmark::DoNotOptimize((*store)->Append(ev).ok());
  }
  state.SetItemsProcessed(state.iterations() * int64_t(ev.size()));
}
BENCHMARK(BM_SqliteAppend)->Arg(1)->Arg(0)->ArgName("fsync")->Unit(benchmark::kMillisecond);

// The committer's per-event encoding cost and recovery's decoding cost of
// the event block format (store/event_block.cc), 10,000 events a block.
// prompt_features:1 gives every event the loadgen prompt's features, as
// the committer stores them when ingest computed them.
static void BM_EventBlockEncode(benchmark::State& state) {
  auto ev = Events(10000);
  if (state.range(0))
    for (size_t i = 0; i < ev.size(); ++i)
      ev[i].prompt = model::ComputePromptFeatures(bench::LoadgenPrompt(int64_t(i)));
  store::EventBlockWriter w;
  std::string blob;
  for (auto _ : state) {
    for (const auto& e : ev) w.Add(e);
    benchmark::DoNotOptimize(w.Finish(&blob).ok());
  }
  state.SetItemsProcessed(state.iterations() * int64_t(ev.size()));
  state.counters["bytes_per_event"] = double(blob.size()) / double(ev.size());
}
BENCHMARK(BM_EventBlockEncode)
    ->Arg(0)
    ->Arg(1)
    ->ArgName("prompt_features")
    ->Unit(benchmark::kMillisecond);

static void BM_EventBlockDecode(benchmark::State& state) {
  auto ev = Events(10000);
  store::EventBlockWriter w;
  std::string blob;
  for (const auto& e : ev) w.Add(e);
  (void)w.Finish(&blob);
  store::EventBlockReader r;
  std::vector<model::Event> out;
  for (auto _ : state) benchmark::DoNotOptimize(r.Decode(blob, &out).ok());
  state.SetItemsProcessed(state.iterations() * int64_t(ev.size()));
}
BENCHMARK(BM_EventBlockDecode)->Unit(benchmark::kMillisecond);

static void BM_EngineApply(benchmark::State& state) {
  auto ev = Events(10000);
  FakeClock clock(1'764'000'000'000);
  engine::Engine eng({}, clock);
  for (auto& e : ev) e.cost_nanos = 1000, e.org = "o";
  for (auto _ : state) eng.Apply(ev);
  state.SetItemsProcessed(state.iterations() * int64_t(ev.size()));
}
BENCHMARK(BM_EngineApply)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
