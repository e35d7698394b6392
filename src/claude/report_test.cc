// Report tests with hand-computed numbers: cost modes, 1h cache pricing,
// synthetic and API-error lines, time zones across midnight and DST, weeks,
// months, sessions, blocks with burn rate and projection, the command.
#include "claude/report.h"

#include <gtest/gtest.h>

#include <sstream>

#include "claude/claude_fixture_test.h"
#include "claude/report_command.h"
#include "claude/report_render.h"
#include "claude/transcript_parser.h"

namespace burnrate::claude {
namespace {

using testing::Line;
using testing::LineSpec;
using testing::TempDir;

ScanResult Scan(const TempDir& d) {
  auto files = FindTranscripts({d.path()});
  EXPECT_TRUE(files.ok());
  return std::move(ScanTranscripts(*files, {})).value();
}

Report Build(const TempDir& d, ReportSpec spec) {
  ScanResult s = Scan(d);
  return BuildReport(s, model::PriceTable::Builtin(), spec);
}

TEST(Report, CostModes) {
  TempDir d;
  // sonnet-4-5: $3/M input, $15/M output. 1000 in + 1000 out = $0.018.
  LineSpec with_cost{.msg = "m1", .in = 1000, .out = 1000, .cost = 0.5};
  LineSpec without{.msg = "m2", .in = 1000, .out = 1000};
  d.Write("p", "a.jsonl", Line(with_cost) + "\n" + Line(without) + "\n");
  ReportSpec spec;
  spec.cost_mode = CostMode::kAuto;
  EXPECT_EQ(Build(d, spec).totals.cost_nanos, 500000000 + 18000000);
  spec.cost_mode = CostMode::kCalculate;
  EXPECT_EQ(Build(d, spec).totals.cost_nanos, 36000000);
  spec.cost_mode = CostMode::kDisplay;
  EXPECT_EQ(Build(d, spec).totals.cost_nanos, 500000000);
}

TEST(Report, OneHourCacheWritesCostMore) {
  TempDir d;
  // 600 x $3.75/M + 400 x $6/M = $0.00225 + $0.0024 = $0.00465.
  d.Write("p", "a.jsonl",
          Line(LineSpec{.in = 0, .out = 0, .cw = 1000, .cw5m = 600, .cw1h = 400}) + "\n");
  Report r = Build(d, ReportSpec{.cost_mode = CostMode::kCalculate});
  EXPECT_EQ(r.totals.cost_nanos, 4650000);
  EXPECT_EQ(r.totals.tokens.cache_write_1h, 400);
}

TEST(Report, SyntheticAndApiErrorLinesCarryNoCost) {
  TempDir d;
  LineSpec synth{.msg = "m1", .model = "<synthetic>", .in = 0, .out = 0, .cost = 1.0};
  LineSpec err{.msg = "m2", .in = 1000, .out = 0, .api_error = true};
  LineSpec real{.msg = "m3", .in = 1000, .out = 0};
  d.Write("p", "a.jsonl", Line(synth) + "\n" + Line(err) + "\n" + Line(real) + "\n");
  Report r = Build(d, ReportSpec{.cost_mode = CostMode::kAuto});
  EXPECT_EQ(r.totals.cost_nanos, 3000000);  // only the real line: 1000 x $3/M
  EXPECT_EQ(r.totals.tokens.input, 2000);   // tokens still count, as in ccusage
  ASSERT_EQ(r.rows.size(), 1u);
  ASSERT_EQ(r.rows[0].models.size(), 1u);  // <synthetic> is not a model
  EXPECT_EQ(r.rows[0].models[0].model, "claude-sonnet-4-5-20250929");
}

TEST(Report, DaysAcrossMidnightInTimeZones) {
  TempDir d;
  d.Write("p", "a.jsonl",
          Line(LineSpec{.msg = "m1", .ts = "2026-03-21T23:30:00.000Z", .in = 1}) + "\n" +
              Line(LineSpec{.msg = "m2", .ts = "2026-03-22T00:30:00.000Z", .in = 2}) + "\n");
  Report utc = Build(d, ReportSpec{});
  ASSERT_EQ(utc.rows.size(), 2u);
  EXPECT_EQ(utc.rows[0].key, "2026-03-21");
  EXPECT_EQ(utc.rows[1].key, "2026-03-22");
  Report ny = Build(d, ReportSpec{.tz = TimeZone::Load("America/New_York").value()});
  ASSERT_EQ(ny.rows.size(), 1u);
  EXPECT_EQ(ny.rows[0].key, "2026-03-21");
  EXPECT_EQ(ny.rows[0].tokens.input, 3);
  Report tokyo = Build(d, ReportSpec{.tz = TimeZone::Load("Asia/Tokyo").value()});
  ASSERT_EQ(tokyo.rows.size(), 1u);
  EXPECT_EQ(tokyo.rows[0].key, "2026-03-22");
}

TEST(Report, DaylightSavingDayIs23Hours) {
  TempDir d;
  // Berlin switches to CEST on 2026-03-29 at 01:00 UTC.
  d.Write("p", "a.jsonl",
          Line(LineSpec{.msg = "m1", .ts = "2026-03-28T23:30:00.000Z", .in = 1}) +
              "\n" +  // 00:30 CET
              Line(LineSpec{.msg = "m2", .ts = "2026-03-29T21:59:00.000Z", .in = 2}) +
              "\n" +  // 23:59 CEST
              Line(LineSpec{.msg = "m3", .ts = "2026-03-29T22:00:00.000Z", .in = 4}) +
              "\n");  // 00:00 next day
  Report r = Build(d, ReportSpec{.tz = TimeZone::Load("Europe/Berlin").value()});
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(r.rows[0].key, "2026-03-29");
  EXPECT_EQ(r.rows[0].tokens.input, 3);
  EXPECT_EQ(r.rows[1].key, "2026-03-30");
  EXPECT_EQ(r.rows[1].tokens.input, 4);
}

TEST(Report, WeeksMonthsAndDayFilters) {
  TempDir d;
  d.Write("p", "a.jsonl",
          Line(LineSpec{.msg = "m1", .ts = "2026-03-01T12:00:00Z", .in = 1}) + "\n" +      // Sunday
              Line(LineSpec{.msg = "m2", .ts = "2026-03-02T12:00:00Z", .in = 2}) + "\n" +  // Monday
              Line(LineSpec{.msg = "m3", .ts = "2026-04-01T12:00:00Z", .in = 4}) + "\n");
  Report weeks = Build(d, ReportSpec{.kind = ReportKind::kWeekly});
  ASSERT_EQ(weeks.rows.size(), 3u);
  EXPECT_EQ(weeks.rows[0].key, "2026-02-23");
  EXPECT_EQ(weeks.rows[1].key, "2026-03-02");
  Report sunday = Build(d, ReportSpec{.kind = ReportKind::kWeekly, .week_starts_sunday = true});
  ASSERT_EQ(sunday.rows.size(), 2u);
  EXPECT_EQ(sunday.rows[0].key, "2026-03-01");
  EXPECT_EQ(sunday.rows[0].tokens.input, 3);
  Report months = Build(d, ReportSpec{.kind = ReportKind::kMonthly});
  ASSERT_EQ(months.rows.size(), 2u);
  EXPECT_EQ(months.rows[0].key, "2026-03");
  EXPECT_EQ(months.rows[1].tokens.input, 4);
  ReportSpec filtered;
  filtered.since_day = ParseDayArg("20260302", TimeZone::Utc()).value();
  filtered.until_day = ParseDayArg("2026-03-31", TimeZone::Utc()).value();
  Report f = Build(d, filtered);
  ASSERT_EQ(f.rows.size(), 1u);
  EXPECT_EQ(f.totals.tokens.input, 2);
  EXPECT_FALSE(ParseDayArg("2026-3-1", TimeZone::Utc()).ok());
}

TEST(Report, SessionsGroupByProjectAndSession) {
  TempDir d;
  d.Write("app", "a.jsonl",
          Line(LineSpec{.msg = "m1", .session = "s1", .in = 1}) + "\n" +
              Line(LineSpec{.msg = "m2", .session = "s2", .in = 2}) + "\n");
  d.Write("lib", "b.jsonl", Line(LineSpec{.msg = "m3", .session = "s1", .in = 4}) + "\n");
  Report r = Build(d, ReportSpec{.kind = ReportKind::kSession});
  ASSERT_EQ(r.rows.size(), 3u);
  EXPECT_EQ(r.totals.tokens.input, 7);
}

TEST(Report, FiveHourBlocksWithGapBurnRateAndProjection) {
  TempDir d;
  auto at = [](const char* ts, const char* id, int64_t in) {
    return Line(LineSpec{.msg = id, .ts = ts, .in = in, .out = 0}) + "\n";
  };
  d.Write("p", "a.jsonl",
          at("2026-03-21T10:15:00Z", "a", 100) + at("2026-03-21T11:00:00Z", "b", 100) +
              at("2026-03-21T14:59:00Z", "c", 100) +  // within 5 h of 10:00
              at("2026-03-21T15:30:00Z", "d", 100) +  // 5h30 after 10:00: new block at 15:00
              at("2026-03-21T21:00:00Z", "e", 600) +  // 5h30 gap: gap row, block at 21:00
              at("2026-03-21T21:20:00Z", "f", 600));
  ReportSpec spec{.kind = ReportKind::kBlocks, .cost_mode = CostMode::kCalculate};
  ASSERT_TRUE(ParseTranscriptTimestamp("2026-03-21T21:30:00Z", &spec.now));
  Report r = Build(d, spec);
  ASSERT_EQ(r.rows.size(), 4u);
  EXPECT_EQ(r.rows[0].key, "2026-03-21T10:00:00.000Z");
  EXPECT_EQ(r.rows[0].requests, 3u);
  EXPECT_EQ(r.rows[1].key, "2026-03-21T15:00:00.000Z");
  EXPECT_TRUE(r.rows[2].gap);
  EXPECT_EQ(r.rows[2].block_start, r.rows[1].last_ts + 5 * kHourMs);
  const ReportRow& last = r.rows[3];
  EXPECT_EQ(last.key, "2026-03-21T21:00:00.000Z");
  EXPECT_TRUE(last.active);
  EXPECT_FALSE(r.rows[0].active);
  // 1200 tokens over 20 minutes = 60/min; 4h30 = 270 min left: 1200 + 16200.
  EXPECT_DOUBLE_EQ(last.tokens_per_minute, 60.0);
  EXPECT_EQ(last.projected_tokens, 17400);
  // Cost 1200 x $3/M = $0.0036 in 20 min; projected 0.0036 x (1 + 270/20) = $0.0522.
  EXPECT_EQ(last.projected_cost_nanos, 52200000);
}

TEST(ReportCommand, JsonTotalsAndVerboseSkips) {
  TempDir d;
  std::string good = Line(LineSpec{.in = 10, .out = 20});
  d.Write("p", "a.jsonl", good + "\n" + good + "\n" + good.substr(0, 40));
  ReportOptions o;
  o.dirs = {d.path()};
  o.json = true;
  o.verbose = true;
  o.tz = "UTC";
  std::ostringstream out, err;
  ASSERT_EQ(RunReport(o, out, err), 0) << err.str();
  std::string j = out.str();
  EXPECT_NE(j.find("\"daily\":[{\"date\":\"2026-03-21\""), std::string::npos) << j;
  EXPECT_NE(j.find("\"totals\":{\"inputTokens\":10,\"outputTokens\":20"), std::string::npos) << j;
  EXPECT_NE(j.find("\"skippedLines\":1"), std::string::npos) << j;
  EXPECT_NE(j.find("a.jsonl\",\"line\":3"), std::string::npos) << j;
  o.json = false;
  o.breakdown = true;
  std::ostringstream table;
  ASSERT_EQ(RunReport(o, table, err), 0);
  EXPECT_NE(table.str().find("Total"), std::string::npos);
  EXPECT_NE(table.str().find("a.jsonl:3"), std::string::npos) << table.str();
  o.tz = "Mars/Olympus";
  std::ostringstream bad_err;
  EXPECT_EQ(RunReport(o, out, bad_err), 1);
  EXPECT_NE(bad_err.str().find("--tz"), std::string::npos);
}

// claude-opus-5-5 (Claude Code 2.1.328's default) is missing from the price
// table: priced as claude-opus-4-8 and marked; a model of no family counts
// $0 and is named. Both get a warning on stderr with their tokens.
TEST(ReportCommand, UnpricedModelsAreEstimatedMarkedAndWarned) {
  TempDir d;
  // 100k output of claude-opus-5-5 at $25/M = $2.50; 1k of sonnet-4-5 = $0.015.
  std::string lines =
      Line(LineSpec{.msg = "m1", .req = "r1", .model = "claude-opus-5-5", .in = 0, .out = 100000}) +
      "\n" +
      Line(LineSpec{.msg = "m2", .req = "r2", .model = "mystery-model-7", .in = 300, .out = 0}) +
      "\n" + Line(LineSpec{.msg = "m3", .req = "r3", .in = 0, .out = 1000}) + "\n";
  d.Write("p", "a.jsonl", lines);
  ReportSpec spec;
  spec.cost_mode = CostMode::kCalculate;
  Report r = Build(d, spec);
  EXPECT_EQ(r.totals.cost_nanos, 2'500'000'000 + 15'000'000);
  EXPECT_TRUE(r.totals.cost_estimated);
  EXPECT_TRUE(r.totals.cost_unpriced);
  ASSERT_EQ(r.pricing.size(), 2u);
  EXPECT_EQ(r.pricing[0].model, "claude-opus-5-5");
  EXPECT_EQ(r.pricing[0].basis, model::CostBasis::kEstimated);
  EXPECT_EQ(r.pricing[0].priced_as, "claude-opus-4-8");
  EXPECT_EQ(r.pricing[0].tokens.Total(), 100000);
  EXPECT_EQ(r.pricing[1].model, "mystery-model-7");
  EXPECT_EQ(r.pricing[1].basis, model::CostBasis::kUnpriced);
  ASSERT_EQ(r.rows.size(), 1u);
  for (const ModelTotals& m : r.rows[0].models) {
    EXPECT_EQ(m.cost_estimated, m.model == "claude-opus-5-5") << m.model;
    EXPECT_EQ(m.cost_unpriced, m.model == "mystery-model-7") << m.model;
  }

  ReportOptions o;
  o.dirs = {d.path()};
  o.tz = "UTC";
  o.cost_mode = "calculate";
  o.breakdown = true;
  std::ostringstream table, err;
  ASSERT_EQ(RunReport(o, table, err), 0) << err.str();
  EXPECT_EQ(err.str(),
            "burnrate: warning: model 'claude-opus-5-5' is not in the price table: 100,000 tokens "
            "priced as "
            "claude-opus-4-8, an estimate ($2.50)\n"
            "burnrate: warning: model 'mystery-model-7' is not in the price table: 300 tokens have "
            "no price and no "
            "known model family, counted at $0 (--prices FILE can price them)\n");
  EXPECT_NE(table.str().find("~$2.52+"), std::string::npos)
      << table.str();  // the day and the total
  EXPECT_NE(table.str().find("~$2.50\n"), std::string::npos)
      << table.str();  // the opus-5-5 breakdown row
  EXPECT_NE(table.str().find("~ part of the cost is estimated"), std::string::npos) << table.str();
  o.json = true;
  std::ostringstream json, err2;
  ASSERT_EQ(RunReport(o, json, err2), 0);
  EXPECT_EQ(err2.str(), err.str());  // stderr, so the JSON stays clean
  EXPECT_NE(json.str().find(R"("totalCost":2.515,"costEstimated":true,"costUnpriced":true)"),
            std::string::npos)
      << json.str();
  EXPECT_NE(
      json.str().find(
          R"("pricing":[{"model":"claude-opus-5-5","basis":"estimated","pricedAs":"claude-opus-4-8","totalTokens":100000,"cost":2.50},{"model":"mystery-model-7","basis":"unpriced","pricedAs":null,"totalTokens":300,"cost":0.00}])"),
      std::string::npos)
      << json.str();
}

}  // namespace
}  // namespace burnrate::claude
