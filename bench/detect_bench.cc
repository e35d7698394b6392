// Detection benchmarks: prompt features on the ingest path, Observe per
// event, and daily scoring of a large organisation.
//
//   ./build/detect_bench --benchmark_filter=.
#include <benchmark/benchmark.h>
#include <zstd.h>

#include <random>
#include <string>
#include <vector>

#include "detect/detect.h"
#include "detect/feature_store.h"
#include "detect/scorer.h"
#include "loadgen_prompt.h"
#include "model/price_book.h"
#include "model/prompt_features.h"

namespace burnrate::detect {
namespace {

std::string Prompt(size_t bytes, uint64_t seed) {
  static const char* kWords[] = {
      "refactor",  "the",      "parser", "so",        "that", "unicode", "escapes", "are",
      "validated", "before",   "lookup", "and",       "add",  "tests",   "for",     "session",
      "timeout",   "handling", "in",     "server.cc", "with", "retries", "cache",   "keys"};
  std::mt19937_64 r(seed);
  std::string s;
  while (s.size() < bytes) {
    s += kWords[r() % 24];
    s += (r() % 11 == 0) ? "\n" : " ";
  }
  return s;
}

// 64 different prompts in turn, so the branch predictor cannot learn one
// text's word lengths (the ingest path never sees the same prompt twice).
void BM_ComputePromptFeatures(benchmark::State& state) {
  std::vector<std::string> prompts;
  for (uint64_t seed = 1; seed <= 64; ++seed)
    prompts.push_back(Prompt(static_cast<size_t>(state.range(0)), seed));
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(model::ComputePromptFeatures(prompts[i++ & 63]));
  state.SetBytesProcessed(int64_t(state.iterations()) * state.range(0));
}
BENCHMARK(BM_ComputePromptFeatures)
    ->Arg(40)
    ->Arg(200)
    ->Arg(330)
    ->Arg(2048)
    ->Arg(4096)
    ->Arg(16384)
    ->Arg(1 << 20);

// The same prompts, a fixed 6,400 calls (100 per prompt), for instruction
// counts, which a shared machine does not disturb (one command line):
//   valgrind --tool=callgrind --toggle-collect='burnrate::model::ComputePromptFeatures*'
//     ./build/detect_bench --benchmark_filter='PromptFeaturesFixed/200/'
// Ir / 6400 is the cost of one call. Also runs as an ordinary benchmark.
void BM_PromptFeaturesFixed(benchmark::State& state) { BM_ComputePromptFeatures(state); }
BENCHMARK(BM_PromptFeaturesFixed)->Arg(40)->Arg(200)->Arg(4096)->Arg(16384)->Iterations(6400);

void BM_ComputePromptFeaturesLoadgen(benchmark::State& state) {
  std::vector<std::string> prompts;
  for (int64_t n = 1000; n < 1064; ++n) prompts.push_back(bench::LoadgenPrompt(n * 7919));
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    const std::string& p = prompts[i++ & 63];
    benchmark::DoNotOptimize(model::ComputePromptFeatures(p));
    bytes += p.size();
  }
  state.SetBytesProcessed(int64_t(bytes));
}
BENCHMARK(BM_ComputePromptFeaturesLoadgen);
BENCHMARK(BM_ComputePromptFeaturesLoadgen)
    ->Name("BM_PromptFeaturesFixed/loadgen")
    ->Iterations(6400);

// The loadgen prompt, `range(0)` different ones in turn (a power of two), to
// check that the branch predictor does not learn the 64 of
// BM_ComputePromptFeaturesLoadgen: on AMD Zen 5, 1,024 (338 KB, in L2) cost
// the same as 64, so the features' higher cost inside the parser comes from
// elsewhere (docs/PERFORMANCE.md, Detection, 2026-12-06 evening).
void BM_ComputePromptFeaturesLoadgenMany(benchmark::State& state) {
  const size_t count = static_cast<size_t>(state.range(0));
  std::vector<std::string> prompts;
  for (size_t n = 0; n < count; ++n)
    prompts.push_back(bench::LoadgenPrompt(int64_t(1000 + n) * 7919));
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    const std::string& p = prompts[i++ & (count - 1)];
    benchmark::DoNotOptimize(model::ComputePromptFeatures(p));
    bytes += p.size();
  }
  state.SetBytesProcessed(int64_t(bytes));
}
BENCHMARK(BM_ComputePromptFeaturesLoadgenMany)->Arg(64)->Arg(256)->Arg(1024);

void BM_EstimateCompressRatioLoadgen(benchmark::State& state) {
  std::vector<std::string> prompts;
  for (int64_t n = 1000; n < 1064; ++n) prompts.push_back(bench::LoadgenPrompt(n * 7919));
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(model::EstimateCompressRatio(prompts[i++ & 63]));
}
BENCHMARK(BM_EstimateCompressRatioLoadgen);

// The parts, and the alternative they replaced: zstd level 1 on the same
// text (the old compress_ratio, first 4 KB) in the same run.
void BM_EstimateCompressRatio(benchmark::State& state) {
  std::string p = Prompt(static_cast<size_t>(state.range(0)), 1);
  for (auto _ : state) benchmark::DoNotOptimize(model::EstimateCompressRatio(p));
  state.SetBytesProcessed(int64_t(state.iterations()) * state.range(0));
}
BENCHMARK(BM_EstimateCompressRatio)->Arg(330)->Arg(2048)->Arg(16384);

void BM_ZstdRatioAlternative(benchmark::State& state) {
  std::string p = Prompt(static_cast<size_t>(state.range(0)), 1).substr(0, 4096);
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  std::string out(ZSTD_compressBound(p.size()), '\0');
  for (auto _ : state)
    benchmark::DoNotOptimize(
        ZSTD_compressCCtx(cctx, out.data(), out.size(), p.data(), p.size(), 1));
  ZSTD_freeCCtx(cctx);
  state.SetBytesProcessed(int64_t(state.iterations()) * state.range(0));
}
BENCHMARK(BM_ZstdRatioAlternative)->Arg(330)->Arg(2048)->Arg(16384);

model::Event MakeEvent(int user, TimeMs ts, bool prompt, std::mt19937_64& r) {
  model::Event e;
  e.user = "user" + std::to_string(user);
  e.team = "team" + std::to_string(user / 12);
  e.session = e.user + "-s" + std::to_string(r() % 4);
  e.client = e.user + "-ws";
  e.ts = e.received = ts;
  e.tokens.input = 500, e.tokens.output = 300, e.tokens.cache_read = 30000;
  if (prompt) {
    e.prompt.present = true, e.prompt.length = 400, e.prompt.compress_ratio = 0.5f;
    e.prompt.simhash = r(), e.prompt.exact_hash = r();
  }
  return e;
}

// with_prices:1 adds what the server does for the plausibility checks:
// every event carries a client-given cost, compared with the price book's.
void BM_Observe(benchmark::State& state) {
  DetectConfig cfg;
  FeatureStore fs(cfg);
  model::PriceBook book;
  auto prices = book.Current();
  const model::PriceSnapshot* p = state.range(0) ? prices.get() : nullptr;
  std::mt19937_64 r(7);
  std::vector<model::Event> evs;
  for (int i = 0; i < 100000; ++i) {
    evs.push_back(MakeEvent(i % 10000, 20000 * kDayMs + i * 800, i % 3 == 0, r));
    evs.back().model = "claude-sonnet-4-5";
    evs.back().cost_nanos = prices->Price(evs.back().model, evs.back().tokens).cost_nanos;
  }
  size_t i = 0;
  for (auto _ : state) {
    fs.Observe(evs[i], p);
    if (++i == evs.size()) i = 0;
  }
  state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_Observe)->Arg(0)->Arg(1)->ArgName("with_prices");

// Daily scoring of N users, each with ~60 events (features from precomputed values).
void BM_ScoreDay(benchmark::State& state) {
  DetectConfig cfg;
  FakeClock clock(0);
  DetectionEngine engine(cfg, clock);
  std::mt19937_64 r(9);
  int users = static_cast<int>(state.range(0));
  for (int u = 0; u < users; ++u) {
    TimeMs t = 20000 * kDayMs + 8 * kHourMs + TimeMs(r() % 3600000);
    for (int i = 0; i < 60; ++i, t += TimeMs(r() % 600000))
      engine.Observe(MakeEvent(u, t, i % 3 == 0, r));
    if (u % 5 == 0) {
      model::Event o = MakeEvent(u, t, false, r);
      o.type = model::EventType::kOutcome, o.outcome_kind = "commit";
      engine.Observe(o);
    }
  }
  for (auto _ : state) benchmark::DoNotOptimize(engine.ScoreDay(20000));
  state.counters["users"] = users;
  state.counters["feature_MB"] = double(engine.features().ApproxBytes()) / 1e6;
}
BENCHMARK(BM_ScoreDay)->Arg(100000)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
}  // namespace burnrate::detect

BENCHMARK_MAIN();
