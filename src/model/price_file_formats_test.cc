// Price table: the models.dev loader and price-file format detection (on the
// fixtures in tests/data/prices, whose README names their source).
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "model/price_table.h"

namespace burnrate::model {
namespace {

// ctest sets BURNRATE_SOURCE_DIR; run by hand from the source tree otherwise.
std::string DataFile(const char* name) {
  const char* src = std::getenv("BURNRATE_SOURCE_DIR");
  return std::string(src ? src : ".") + "/tests/data/prices/" + name;
}

TEST(PriceFileFormats, ModelsDevFile) {
  PriceTable t;
  Status st = t.LoadPriceFile(DataFile("models_dev_excerpt.json"));
  ASSERT_TRUE(st.ok()) << st.ToString();
  const ModelPrice* p = t.Find("claude-sonnet-4-5-20250929");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->input, 3000000);  // $3/M = 3e6 pico-USD per token
  EXPECT_EQ(p->output, 15000000);
  EXPECT_EQ(p->cache_read, 300000);
  EXPECT_EQ(p->cache_write, 3750000);
  ASSERT_NE(t.Find("anthropic/claude-opus-4-1"), nullptr);
  // The family stands on plain names only: the dotted "claude-opus-4.8" and
  // "claude-opus-4-8" (same price) qualify, "-fast" ($12/M input) and the
  // regional "eu.anthropic." entry do not.
  PriceResolution r = t.Resolve("claude-opus-5-5");
  ASSERT_EQ(r.match, PriceMatch::kFamily);
  EXPECT_EQ(r.priced_as, "claude-opus-4-8");
  EXPECT_EQ(r.price->input, 5'000'000);
  EXPECT_EQ(t.Resolve("claude-fable-6").priced_as, "claude-fable-5");
  EXPECT_EQ(t.Resolve("claude-fable-6").price->output, 50'000'000);
}

TEST(PriceFileFormats, ModelsDevApiShapeAndErrors) {
  PriceTable t;
  ASSERT_TRUE(
      t.LoadModelsDevJson(
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
  Status st = t.LoadPriceFile(DataFile("litellm_claude_prices.json"));
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_GT(t.size(), 5u);
  ASSERT_NE(t.Find("claude-sonnet-4-5-20250929"), nullptr);
}

}  // namespace
}  // namespace burnrate::model
