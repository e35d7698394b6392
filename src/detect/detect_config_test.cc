// ApplyDetectionToml: the [detection] table of the configuration file.
#include "detect/detect_config.h"

#include <gtest/gtest.h>
#include <toml++/toml.h>

namespace burnrate::detect {
namespace {

Status Apply(std::string_view text, DetectConfig* cfg) {
  toml::table root = toml::parse(text);
  return ApplyDetectionToml(root, "burnrate.toml", cfg);
}

TEST(ApplyDetectionToml, NoDetectionTableLeavesTheDefaults) {
  DetectConfig cfg;
  ASSERT_TRUE(Apply("[server]\nthreads = 2\n", &cfg).ok());
  DetectConfig defaults;
  EXPECT_EQ(cfg.low_entropy_ratio, defaults.low_entropy_ratio);
  EXPECT_TRUE(cfg.exempt.empty());
}

TEST(ApplyDetectionToml, ThresholdsAndExemptionsAreCopied) {
  DetectConfig cfg;
  ASSERT_TRUE(Apply("[detection]\nlow_entropy_ratio = 0.3\nexempt = [\"bot@corp\", \"ci@corp\"]\n"
                    "score_interval_seconds = 60\n",
                    &cfg)
                  .ok());
  EXPECT_DOUBLE_EQ(cfg.low_entropy_ratio, 0.3);
  EXPECT_EQ(cfg.exempt.size(), 2u);
  EXPECT_TRUE(cfg.exempt.count("ci@corp"));
}

TEST(ApplyDetectionToml, ErrorsNameTheFileAndTheKey) {
  DetectConfig cfg;
  Status st = Apply("[detection]\nlow_entropy_ratio = \"low\"\n", &cfg);
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(st.message().find("burnrate.toml: detection.low_entropy_ratio"), std::string::npos)
      << st.message();

  st = Apply("[detection]\nno_such_threshold = 1\n", &cfg);
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(st.message().find("no_such_threshold"), std::string::npos) << st.message();

  st = Apply("[detection]\nlow_entropy_ratio = 7\n", &cfg);
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument) << "out of range";

  st = Apply("[detection]\nexempt = \"bot@corp\"\n", &cfg);
  EXPECT_NE(st.message().find("detection.exempt must be a list"), std::string::npos)
      << st.message();

  st = Apply("[detection]\nexempt = [\"bot@corp\", 3]\n", &cfg);
  EXPECT_NE(st.message().find("detection.exempt[1]"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace burnrate::detect
