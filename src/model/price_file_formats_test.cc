// Price table: the models.dev loader and price-file format detection (on the
// reference files in ../shared/data).
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

TEST(PriceFileFormats, ModelsDevFile) {
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

TEST(PriceFileFormats, ModelsDevApiShapeAndErrors) {
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

TEST(PriceFileFormats, LiteLLMFileAutodetected) {
  PriceTable t;
  ASSERT_TRUE(t.LoadPriceFile(DataFile("litellm_claude_prices.json")).ok());
  EXPECT_GT(t.size(), 5u);
  ASSERT_NE(t.Find("claude-sonnet-4-5-20250929"), nullptr);
}

}  // namespace
}  // namespace burnrate::model
