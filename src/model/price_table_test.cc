// Contract tests for model/price_table.h: built-in prices, integer costs,
// tiers, 1-hour cache writes, name normalisation, family estimates and the
// LiteLLM loader (on the fixture in tests/data/prices).
#include "model/price_table.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace burnrate::model {
namespace {

constexpr int64_t kPicoPerUsdPerM = 1'000'000;  // $1 per million tokens

// ctest sets BURNRATE_SOURCE_DIR; run by hand from the source tree otherwise.
std::string DataFile(const char* name) {
  const char* src = std::getenv("BURNRATE_SOURCE_DIR");
  return std::string(src ? src : ".") + "/tests/data/prices/" + name;
}

TEST(PriceTable, BuiltinCoversMajorProviders) {
  PriceTable t = PriceTable::Builtin();
  for (const char* m : {"claude-opus-4-5", "claude-sonnet-4-5", "claude-haiku-4-5", "gpt-5",
                        "gpt-4o", "gemini-2.5-pro", "gemini-2.5-flash"}) {
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
  EXPECT_EQ(t.CostNanos("unknown-model", tc), 0);  // no family: unpriced
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

TEST(PriceTable, FamilyOfNames) {
  EXPECT_EQ(PriceTable::FamilyOf("claude-opus-5-5"), "claude-opus");
  EXPECT_EQ(PriceTable::FamilyOf("anthropic/claude-sonnet-4-7-20261001"), "claude-sonnet");
  EXPECT_EQ(PriceTable::FamilyOf("claude-3-7-sonnet-latest"), "claude-sonnet");
  EXPECT_EQ(PriceTable::FamilyOf("Claude-Haiku-5"), "claude-haiku");
  EXPECT_EQ(PriceTable::FamilyOf("gpt-5.1-codex"), "gpt-5");
  EXPECT_EQ(PriceTable::FamilyOf("openai/gpt-5.2-codex-max"), "gpt-5");
  EXPECT_EQ(PriceTable::FamilyOf("gpt-5.1-codex-mini"), "gpt-5-mini");
  EXPECT_EQ(PriceTable::FamilyOf("gpt-5-pro"), "gpt-5-pro");
  EXPECT_EQ(PriceTable::FamilyOf("gpt-4.1-2025-04-14"), "gpt-4");
  EXPECT_EQ(PriceTable::FamilyOf("gpt-4o-mini"), "gpt-4o-mini");
  EXPECT_EQ(PriceTable::FamilyOf("o3"), "o");
  EXPECT_EQ(PriceTable::FamilyOf("o5-mini"), "o-mini");
  EXPECT_EQ(PriceTable::FamilyOf("gemini-3-pro-preview"), "gemini-pro");
  EXPECT_EQ(PriceTable::FamilyOf("gemini-3-flash-preview"), "gemini-flash");
  EXPECT_EQ(PriceTable::FamilyOf("google/gemini-2.5-flash-lite-preview-09-2025"),
            "gemini-flash-lite");
  for (const char* none : {"totally-unknown-model", "llama-3.3-70b", "claude", "codex-mini-latest",
                           "gemini", "opus", "qwen3-coder", ""}) {
    EXPECT_EQ(PriceTable::FamilyOf(none), "") << none;
  }
}

// A model missing from the table takes the newest known member of its
// family that is not newer than itself (else the oldest newer one), and is
// marked an estimate; a model of no known family stays unpriced.
TEST(PriceTable, FamilyFallbackPricesUnknownModels) {
  PriceTable t = PriceTable::Builtin();
  struct Case {
    const char* model;
    const char* priced_as;
  } cases[] = {
      {"claude-opus-5-5", "claude-opus-4-8"},  // Claude Code 2.1.328's default
      {"claude-opus-4-9-20270101", "claude-opus-4-8"},
      {"claude-sonnet-5", "claude-sonnet-4-6"},
      {"claude-sonnet-4-5-fast", "claude-sonnet-4-5"},      // a variant of a known version
      {"claude-3-5-sonnet-20241022", "claude-3-7-sonnet"},  // older than all known: the oldest
      {"claude-haiku-5-1", "claude-haiku-4-5"},
      {"claude-fable-6", "claude-fable-5"},
      {"gpt-5.1-codex", "gpt-5"},
      {"gpt-5.2-codex-max", "gpt-5"},
      {"gpt-5.1-codex-mini", "gpt-5-mini"},
      {"gpt-5-nano-2026-01-01x", "gpt-5-nano"},
      {"gpt-4.5-preview", "gpt-4.1"},
      {"o5", "o3"},
      {"o3-mini", "o4-mini"},
      {"gemini-3-pro-preview", "gemini-2.5-pro"},
      {"gemini-3-flash-preview", "gemini-2.5-flash"},
      {"gemini-3-flash-lite", "gemini-2.5-flash-lite"},
  };
  for (const Case& c : cases) {
    PriceResolution r = t.Resolve(c.model);
    EXPECT_EQ(r.match, PriceMatch::kFamily) << c.model;
    EXPECT_EQ(r.priced_as, c.priced_as) << c.model;
    EXPECT_EQ(r.price, t.Find(c.priced_as)) << c.model;
  }
  // Exact names stay exact.
  PriceResolution exact = t.Resolve("claude-opus-4-5-20251101");
  EXPECT_EQ(exact.match, PriceMatch::kExact);
  EXPECT_EQ(exact.price, t.Find("claude-opus-4-5"));
  // No family: unpriced, never a made-up price. gpt-5-pro's family has no
  // member in the built-in table (a pro model costs ten times gpt-5).
  for (const char* m : {"totally-unknown-model", "gpt-5-pro", "codex-mini-latest", "deepseek-v3"}) {
    PriceResolution r = t.Resolve(m);
    EXPECT_EQ(r.match, PriceMatch::kNone) << m;
    EXPECT_EQ(r.price, nullptr) << m;
    EXPECT_TRUE(r.priced_as.empty()) << m;
  }
  // The cost of claude-opus-5-5 is claude-opus-4-8's: 1M input + 100k output
  // at $5 and $25 per million.
  TokenCounts tc;
  tc.input = 1'000'000, tc.output = 100'000;
  EXPECT_EQ(t.CostNanos("claude-opus-5-5", tc), 5'000'000'000 + 2'500'000'000);
}

// A table that learns a newer family member (a loaded price file) moves the
// estimate to it; plain names only, so variants and regional names never
// stand for a family.
TEST(PriceTable, FamilyFollowsTheTable) {
  PriceTable t = PriceTable::Builtin();
  ModelPrice p;
  p.input = 7'000'000, p.output = 35'000'000;
  t.Set("claude-opus-5-1", p);
  ModelPrice fast = p;
  fast.input = 99'000'000;
  t.Set("claude-opus-5-4-fast", fast);
  t.Set("eu.anthropic.claude-opus-5-3", fast);
  PriceResolution r = t.Resolve("claude-opus-5-5");
  EXPECT_EQ(r.priced_as, "claude-opus-5-1");
  EXPECT_EQ(r.price->input, 7'000'000);
  // A name in the table is exact even when it would parse as a family member.
  t.Set("claude-opus-5-5", p);
  EXPECT_EQ(t.Resolve("claude-opus-5-5").match, PriceMatch::kExact);
  // A newer gpt-5 point release priced in a file is used for later ones.
  ModelPrice g;
  g.input = 1'750'000, g.output = 14'000'000;
  t.Set("gpt-5.2", g);
  EXPECT_EQ(t.Resolve("gpt-5.2-codex").priced_as, "gpt-5.2");
  EXPECT_EQ(t.Resolve("gpt-5.1-codex").priced_as, "gpt-5");  // not the newer, dearer one
}

TEST(PriceTable, BuiltinMatchesTheReferenceFiles) {
  // The Claude rows added for current defaults, against the models.dev
  // excerpt (USD per million: input, output, cache read, cache write).
  PriceTable file;
  ASSERT_TRUE(file.LoadPriceFile(DataFile("models_dev_excerpt.json")).ok());
  PriceTable t = PriceTable::Builtin();
  for (const char* m : {"claude-opus-4-8", "claude-fable-5", "claude-haiku-4-5"}) {
    const ModelPrice* a = t.Find(m);
    const ModelPrice* b = file.Find(m);
    ASSERT_NE(a, nullptr) << m;
    ASSERT_NE(b, nullptr) << m;
    EXPECT_EQ(a->input, b->input) << m;
    EXPECT_EQ(a->output, b->output) << m;
    EXPECT_EQ(a->cache_read, b->cache_read) << m;
    EXPECT_EQ(a->cache_write, b->cache_write) << m;
  }
  EXPECT_STREQ(PriceTable::kBuiltinTested, "2026-12-04");
}

TEST(PriceTable, UsdPerTokenToPico) {
  EXPECT_EQ(UsdPerTokenToPico(3e-06), 3'000'000);
  EXPECT_EQ(UsdPerTokenToPico(8e-08), 80'000);
  EXPECT_EQ(UsdPerTokenToPico(0), 0);
  EXPECT_EQ(UsdPerTokenToPico(3.6e-06), 3'600'000);  // no floating-point truncation
}

TEST(LiteLLM, LoadsTheSharedExcerpt) {
  PriceTable t;
  Status st = t.LoadLiteLLMFile(DataFile("litellm_claude_prices.json"));
  ASSERT_TRUE(st.ok()) << st.ToString();
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
  })",
                                "inline");
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
