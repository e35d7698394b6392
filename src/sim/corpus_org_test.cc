#include "sim/corpus_org.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <set>

namespace burnrate::sim {
namespace {

TextCorpus Corpus() {
  const char* src = std::getenv("BURNRATE_SOURCE_DIR");
  auto c = LoadTextCorpus(std::string(src ? src : ".") + "/tests/data/real_text");
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? *c : TextCorpus{};
}

TEST(CorpusOrg, LabelsTeamsAndDeterminism) {
  CorpusOrgOptions o;
  o.users = 3000, o.farm_share = 0.1;
  CorpusOrg big(o, Corpus());
  ASSERT_EQ(big.users().size(), 3000u);
  int farmers = 0;
  std::set<std::string> personas;
  for (const auto& u : big.users()) farmers += u.farming, personas.insert(u.persona);
  EXPECT_GT(farmers, 200);  // 10% of 3000, in bot farms of 8 and single farmers
  EXPECT_LT(farmers, 400);
  EXPECT_EQ(personas.size(), 10u);
  o.users = 300;
  CorpusOrg org(o, Corpus());
  std::vector<model::Event> a, b;
  org.GenerateDay(0, &a);
  CorpusOrg(o, Corpus()).GenerateDay(0, &b);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); i += 97) EXPECT_EQ(a[i].id, b[i].id);
}

// Teams without outcome integration send no outcome at all; researchers
// paste long documents, each prompt different.
TEST(CorpusOrg, NoOutcomeTeamsAndResearchersPrompts) {
  CorpusOrgOptions o;
  o.users = 300;
  CorpusOrg org(o, Corpus());
  std::vector<model::Event> ev;
  org.GenerateDay(1, &ev);
  std::set<std::string> researchers;
  for (const auto& u : org.users())
    if (u.persona == "researcher") researchers.insert(u.name);
  int otlp_outcomes = 0, otlp_usage = 0, long_prompts = 0;
  std::map<std::string, std::set<uint64_t>> distinct;  // per researcher
  for (const auto& e : ev) {
    if (e.source == "otlp") (e.type == model::EventType::kOutcome ? otlp_outcomes : otlp_usage)++;
    if (researchers.count(e.user) && e.prompt.present && e.prompt.length > 1000)
      ++long_prompts, distinct[e.user].insert(e.prompt.exact_hash);
  }
  EXPECT_GT(otlp_usage, 0);
  EXPECT_EQ(otlp_outcomes, 0);
  EXPECT_GT(long_prompts, 100);
  // Drawn from 102 documents, a researcher's day repeats a few of them.
  size_t kept = 0;
  for (const auto& [user, hashes] : distinct) kept += hashes.size();
  EXPECT_GT(double(kept), 0.8 * long_prompts);
}

}  // namespace
}  // namespace burnrate::sim
