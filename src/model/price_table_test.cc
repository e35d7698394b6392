// Price table: built-in prices, the LiteLLM and models.dev loaders (on the
// reference files in ../shared/data), tiers and 1-hour cache writes.
#include "model/price_table.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace burnrate::model {
namespace {

std::string DataFile(const char* name) {
  const char* src = std::getenv("BURNRATE_SOURCE_DIR");
  std::string base = src ? std::string(src) + "/../shared/data/" : "/work/shared/data/";
  return base + name;
}

TEST(PriceTable, BuiltinSonnetWithOneHourCacheWrites) {
  PriceTable t = PriceTable::Builtin();
  TokenCounts c;
  c.input = 1000, c.output = 1000, c.cache_write = 1000, c.cache_write_1h = 400, c.cache_read = 10000;
  // (1000x3 + 1000x15 + 600x3.75 + 400x6 + 10000x0.3) / 1e6 = $0.02565.
  EXPECT_EQ(t.CostNanos("claude-sonnet-4-5-20250929", c), 25650000);
  EXPECT_EQ(t.CostNanos("no-such-model", c), 0);
}

TEST(PriceTable, ModelsDevFile) {
  PriceTable t;
  ASSERT_TRUE(t.LoadPriceFile(DataFile("models_dev_pricing.json")).ok());
  const ModelPrice* p = t.Find("claude-sonnet-4-5-20250929");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->input, 3000000);  // $3/M = 3e6 pico-USD per token
  EXPECT_EQ(p->output, 15000000);
  EXPECT_EQ(p->cache_read, 300000);
  EXPECT_EQ(p->cache_write, 3750000);
  ASSERT_NE(t.Find("anthropic/claude-opus-4-1"), nullptr);
}

TEST(PriceTable, ModelsDevApiShapeAndErrors) {
  PriceTable t;
  ASSERT_TRUE(t.LoadModelsDevJson(
                   R"({"anthropic":{"models":{"claude-x-1":{"cost":{"input":2,"output":8}}}}})", "api.json")
                  .ok());
  ASSERT_NE(t.Find("claude-x-1"), nullptr);
  EXPECT_EQ(t.Find("claude-x-1")->output, 8000000);
  Status s = t.LoadModelsDevJson("{nope", "bad.json");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("bad.json"), std::string::npos);
}

TEST(PriceTable, LiteLLMFileAutodetected) {
  PriceTable t;
  ASSERT_TRUE(t.LoadPriceFile(DataFile("litellm_claude_prices.json")).ok());
  EXPECT_GT(t.size(), 5u);
  ASSERT_NE(t.Find("claude-sonnet-4-5-20250929"), nullptr);
}

}  // namespace
}  // namespace burnrate::model
