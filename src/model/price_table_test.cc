// Contract tests for model/price_table.h: built-in prices, integer costs,
// tiers, 1-hour cache writes, name normalisation and the LiteLLM loader
// (on the real excerpt in ../shared/data).
#include "model/price_table.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

namespace burnrate::model {
namespace {

constexpr int64_t kPicoPerUsdPerM = 1'000'000;  // $1 per million tokens

std::string SharedData(const char* name) {
  const char* src = std::getenv("BURNRATE_SOURCE_DIR");
  std::string root = src ? src : ".";
  // The worktree sits beside ../shared in this workspace; /work/shared is the fallback.
  for (std::string dir : {root + "/../shared/data/", std::string("/work/shared/data/")}) {
    std::ifstream f(dir + name);
    if (f) return dir + name;
  }
  return "";
}

TEST(PriceTable, BuiltinCoversMajorProviders) {
  PriceTable t = PriceTable::Builtin();
  for (const char* m : {"claude-opus-4-5", "claude-sonnet-4-5", "claude-haiku-4-5", "gpt-5", "gpt-4o",
                        "gemini-2.5-pro", "gemini-2.5-flash"}) {
    EXPECT_NE(t.Find(m), nullptr) << m;
  }
  const ModelPrice* s = t.Find("claude-sonnet-4-5");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->input, 3 * kPicoPerUsdPerM);
  EXPECT_EQ(s->output, 15 * kPicoPerUsdPerM);
  EXPECT_EQ(s->cache_read, 300'000);
  EXPECT_EQ(s->cache_write, 3'750'000);
  EXPECT_EQ(s->tier_threshold, 200000);
  EXPECT_EQ(t.Find("no-such-model"), nullptr);
}

TEST(PriceTable, CostIsExactIntegerNanoUsd) {
  PriceTable t = PriceTable::Builtin();
  TokenCounts tc;
  tc.input = 1000, tc.output = 500, tc.cache_read = 10000, tc.cache_write = 2000;
  // 1000*3 + 500*15 + 10000*0.3 + 2000*3.75 micro-USD = $0.021.
  EXPECT_EQ(t.CostNanos("claude-sonnet-4-5", tc), 21'000'000);
  EXPECT_EQ(t.CostNanos("unknown-model", tc), 0);
  EXPECT_EQ(t.CostNanos("claude-sonnet-4-5", TokenCounts{}), 0);
  // One token of a cheap model is still counted (rounded to the nano).
  TokenCounts one;
  one.input = 1;
  EXPECT_EQ(t.CostNanos("gpt-5-nano", one), 50);
  // Summing many small costs in integers does not drift.
  int64_t sum = 0;
  for (int i = 0; i < 1'000'000; ++i) sum += t.CostNanos("gpt-5-nano", one);
  EXPECT_EQ(sum, 50'000'000);  // exactly $0.05 for a million tokens
}

TEST(PriceTable, TierAbove200kAppliesToWholeRequest) {
  PriceTable t = PriceTable::Builtin();
  TokenCounts at;
  at.input = 200000;  // at the threshold: base prices
  EXPECT_EQ(t.CostNanos("claude-sonnet-4-5", at), 600'000'000);
  TokenCounts above;
  above.input = 150000, above.cache_read = 100000, above.output = 1000;  // context 250k
  // 150000*6 + 100000*0.6 + 1000*22.5 micro-USD.
  EXPECT_EQ(t.CostNanos("claude-sonnet-4-5", above), 900'000'000 + 60'000'000 + 22'500'000);
  // A model without a tier keeps its price at any size.
  TokenCounts big;
  big.input = 1'000'000;
  EXPECT_EQ(t.CostNanos("claude-opus-4-5", big), 5'000'000'000);
}

TEST(PriceTable, OneHourCacheWritesArePricedHigher) {
  PriceTable t = PriceTable::Builtin();
  TokenCounts tc;
  tc.cache_write = 2000, tc.cache_write_1h = 1000;
  // 1000 at $3.75/M + 1000 at $6/M.
  EXPECT_EQ(t.CostNanos("claude-sonnet-4-5", tc), 3'750'000 + 6'000'000);
  // cache_write_1h never counts more than cache_write.
  tc.cache_write_1h = 5000;
  EXPECT_EQ(t.CostNanos("claude-sonnet-4-5", tc), 2000 * 6'000);
  // Above the tier the 1h price keeps its ratio to the 5m price (x1.6).
  TokenCounts big;
  big.input = 200000, big.cache_write = 1000, big.cache_write_1h = 1000;
  EXPECT_EQ(t.CostNanos("claude-sonnet-4-5", big), 200000 * 6'000 + 1000 * 12'000);
}

TEST(PriceTable, NormalizeStripsProviderAndDates) {
  EXPECT_EQ(PriceTable::Normalize("anthropic/claude-sonnet-4-5-20250929"), "claude-sonnet-4-5");
  EXPECT_EQ(PriceTable::Normalize("anthropic.claude-haiku-4-5-20251001-v1:0"), "claude-haiku-4-5");
  EXPECT_EQ(PriceTable::Normalize("us.anthropic.claude-opus-4-5-20251101-v1:0"), "claude-opus-4-5");
  EXPECT_EQ(PriceTable::Normalize("vertex_ai/claude-haiku-4-5@20251001"), "claude-haiku-4-5");
  EXPECT_EQ(PriceTable::Normalize("gpt-4o-2024-08-06"), "gpt-4o");
  EXPECT_EQ(PriceTable::Normalize("claude-3-5-haiku-latest"), "claude-3-5-haiku");
  EXPECT_EQ(PriceTable::Normalize("gemini-2.5-pro"), "gemini-2.5-pro");
  EXPECT_EQ(PriceTable::Normalize("o3"), "o3");
  EXPECT_EQ(PriceTable::Normalize("o4-mini"), "o4-mini");
  EXPECT_EQ(PriceTable::Normalize("gpt-4.1-mini"), "gpt-4.1-mini");
}

TEST(PriceTable, FindByNormalisedAndOldNames) {
  PriceTable t = PriceTable::Builtin();
  EXPECT_EQ(t.Find("claude-sonnet-4-5-20250929"), t.Find("claude-sonnet-4-5"));
  EXPECT_EQ(t.Find("openai/gpt-5"), t.Find("gpt-5"));
  EXPECT_EQ(t.Find("claude-4-sonnet-20250514"), t.Find("claude-sonnet-4"));
  EXPECT_EQ(t.Find("claude-4-opus"), t.Find("claude-opus-4"));
  EXPECT_NE(t.Find("claude-sonnet-4"), nullptr);
}

TEST(PriceTable, UsdPerTokenToPico) {
  EXPECT_EQ(UsdPerTokenToPico(3e-06), 3'000'000);
  EXPECT_EQ(UsdPerTokenToPico(8e-08), 80'000);
  EXPECT_EQ(UsdPerTokenToPico(0), 0);
  EXPECT_EQ(UsdPerTokenToPico(3.6e-06), 3'600'000);  // no floating-point truncation
}

TEST(LiteLLM, LoadsTheSharedExcerpt) {
  std::string path = SharedData("litellm_claude_prices.json");
  if (path.empty()) GTEST_SKIP() << "../shared/data/litellm_claude_prices.json not found";
  PriceTable t;
  ASSERT_TRUE(t.LoadLiteLLMFile(path).ok());
  EXPECT_GE(t.size(), 41u);
  const ModelPrice* s = t.Find("claude-sonnet-4-5-20250929");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->input, 3'000'000);
  EXPECT_EQ(s->output, 15'000'000);
  EXPECT_EQ(s->cache_write, 3'750'000);
  EXPECT_EQ(s->cache_read, 300'000);
  EXPECT_EQ(s->tier_threshold, 200000);
  EXPECT_EQ(s->input_above, 6'000'000);
  EXPECT_EQ(s->output_above, 22'500'000);
  EXPECT_EQ(s->cache_read_above, 600'000);
  EXPECT_EQ(s->cache_write_above, 7'500'000);
  // Bedrock/Vertex names are findable by their normalised name too.
  const ModelPrice* h = t.Find("anthropic.claude-3-5-haiku-20241022-v1:0");
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->input, 800'000);
  EXPECT_EQ(h->cache_read, 80'000);
  EXPECT_NE(t.Find("claude-3-5-haiku"), nullptr);
  EXPECT_NE(t.Find("claude-haiku-4-5"), nullptr);
  // The figure a user would check by hand: 150k input + 100k output of
  // Sonnet 4.5 under the tier is $0.45 + $1.50.
  TokenCounts tc;
  tc.input = 150'000, tc.output = 100'000;
  EXPECT_EQ(t.CostNanos("claude-sonnet-4-5-20250929", tc), 450'000'000 + 1'500'000'000);
}

TEST(LiteLLM, OverlaysBuiltinAndSkipsNonModelEntries) {
  PriceTable t = PriceTable::Builtin();
  size_t before = t.size();
  Status st = t.LoadLiteLLMJson(R"({
    "sample_spec": "not an object",
    "text-embedding-3-small": {"mode": "embedding", "max_tokens": 8191},
    "gpt-5": {"input_cost_per_token": 2e-06, "output_cost_per_token": 1e-05},
    "my-model": {"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06,
                 "cache_creation_input_token_cost_above_1hr": 4e-06}
  })", "inline");
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(t.size(), before + 1);
  EXPECT_EQ(t.Find("gpt-5")->input, 2'000'000);  // the file wins
  EXPECT_EQ(t.Find("my-model")->cache_write_1h, 4'000'000);
  EXPECT_EQ(t.Find("text-embedding-3-small"), nullptr);
}

TEST(LiteLLM, ErrorsNameTheOrigin) {
  PriceTable t;
  Status st = t.LoadLiteLLMJson("{not json", "prices.json");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(st.message().find("prices.json"), std::string::npos);
  st = t.LoadLiteLLMJson("[1,2]", "prices.json");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("prices.json"), std::string::npos);
  st = t.LoadLiteLLMFile("/nonexistent/prices.json");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("/nonexistent/prices.json"), std::string::npos);
}

}  // namespace
}  // namespace burnrate::model
