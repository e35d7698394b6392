// Google Benchmark for the Claude Code transcript reader: parse throughput
// of a realistic in-memory transcript (long content lines, duplicated
// content blocks, user and tool-result lines) and a full scan + daily
// report over a temporary directory. The side-by-side comparison with
// ccusage and tokscale is bench/claude_vs_ccusage.sh.
#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "claude/report.h"
#include "claude/transcript_parser.h"
#include "claude/transcript_scan.h"

namespace burnrate::claude {
namespace {

std::string Transcript(int responses, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out;
  for (int i = 0; i < responses; ++i) {
    std::string text(200 + rng() % 6000, 'a' + i % 26);
    out += "{\"type\":\"user\",\"sessionId\":\"s\",\"message\":{\"role\":\"user\",\"content\":\"" +
           std::string(100 + rng() % 2000, 'q') +
           "\"},\"timestamp\":\"2026-03-21T14:00:00.000Z\"}\n";
    std::string usage = "{\"input_tokens\":" + std::to_string(rng() % 50) +
                        ",\"cache_creation_input_tokens\":" + std::to_string(rng() % 9000) +
                        ",\"cache_read_input_tokens\":" + std::to_string(rng() % 150000) +
                        ",\"output_tokens\":" + std::to_string(rng() % 4000) + "}";
    std::string line =
        "{\"parentUuid\":\"p\",\"isSidechain\":false,\"sessionId\":\"s\",\"message\":{\"id\":"
        "\"msg_" +
        std::to_string(i) +
        "\",\"model\":\"claude-sonnet-4-5-20250929\",\"content\":[{\"type\":\"text\",\"text\":\"" +
        text + "\"}],\"usage\":" + usage + "},\"requestId\":\"req_" + std::to_string(i) +
        "\",\"type\":\"assistant\",\"timestamp\":\"2026-03-21T14:03:04.577Z\"}\n";
    out += line + line;  // two content blocks
    if (rng() % 2)
      out +=
          "{\"type\":\"user\",\"message\":{\"content\":[{\"type\":\"tool_result\",\"content\":\"" +
          std::string(rng() % 20000, 'r') + "\"}]},\"timestamp\":\"2026-03-21T14:03:05.000Z\"}\n";
  }
  return out;
}

void BM_ParseLines(benchmark::State& state) {
  std::string text = Transcript(2000, 1);
  text.append(simdjson::SIMDJSON_PADDING, ' ');
  size_t len = text.size() - simdjson::SIMDJSON_PADDING;
  TranscriptParser parser;
  FileContext ctx;
  for (auto _ : state) {
    StringTable strings;
    ParseOutput out;
    out.strings = &strings;
    parser.ParseLines(text.data(), len, text.size(), 1, ctx, &out);
    benchmark::DoNotOptimize(out.entries.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(len));
}
BENCHMARK(BM_ParseLines)->Unit(benchmark::kMillisecond);

void BM_ScanAndDailyReport(benchmark::State& state) {
  std::string dir = "/tmp/burnrate_claude_bench_" + std::to_string(::getpid());
  int64_t bytes = 0;
  for (int f = 0; f < 32; ++f) {
    std::filesystem::create_directories(dir + "/projects/p" + std::to_string(f % 4));
    std::string t = Transcript(200, f);
    bytes += static_cast<int64_t>(t.size());
    std::ofstream(dir + "/projects/p" + std::to_string(f % 4) + "/s" + std::to_string(f) + ".jsonl")
        << t;
  }
  auto prices = model::PriceTable::Builtin();
  for (auto _ : state) {
    auto files = FindTranscripts({dir});
    auto scan = ScanTranscripts(std::move(*files),
                                ScanOptions{.threads = static_cast<int>(state.range(0))});
    Report r = BuildReport(*scan, prices, ReportSpec{});
    benchmark::DoNotOptimize(r.totals.tokens.input);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * bytes);
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_ScanAndDailyReport)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace burnrate::claude

BENCHMARK_MAIN();
