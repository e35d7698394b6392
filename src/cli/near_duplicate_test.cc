// The near-duplicate fingerprint on real text nobody here wrote: the
// Debian documentation, headers, man pages, changelogs and logs copied into
// tests/data/real_text (its README names every file's source). Distinct
// documents pasted under one shared instruction must stay apart; copies
// with small edits must stay near. BURNRATE_PRINT_NEAR_DUP=1 prints the
// distance histograms quoted in docs/detection.md.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "detect/detect.h"
#include "model/prompt_features.h"
#include "sim/corpus_org.h"

namespace burnrate::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kInstruction = "Compare these designs and summarise the risks:\n";

struct Doc {
  std::string kind, name, text;
};

// The corpus through the one loader the corpus organisation uses
// (sim::LoadTextCorpus), named kind#index for messages.
std::vector<Doc> LoadCorpus() {
  const char* src = std::getenv("BURNRATE_SOURCE_DIR");
  auto corpus = sim::LoadTextCorpus((fs::path(src ? src : ".") / "tests/data/real_text").string());
  EXPECT_TRUE(corpus.ok()) << corpus.status().message();
  std::vector<Doc> docs;
  if (!corpus.ok()) return docs;
  for (const char* kind :
       {"copyright", "header", "man", "changelog", "log"}) {  // the order pairs are made in
    std::vector<std::string>& texts = (*corpus)[kind];
    for (size_t i = 0; i < texts.size(); ++i)
      docs.push_back({kind, std::string(kind) + "#" + std::to_string(i), std::move(texts[i])});
  }
  return docs;
}

// The exact Jaccard overlap of two texts' sets of within-line word
// 2-shingles (as strings), what the fingerprint estimates.
std::set<std::string> Shingles(const std::string& text) {
  std::set<std::string> out;
  std::string word, prev;
  int on_line = 0;
  auto end_word = [&] {
    if (word.empty()) return;
    if (on_line > 0) out.insert(prev + " " + word);
    prev = word, word.clear();
    ++on_line;
  };
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '_' || u >= 0x80) {
      word += static_cast<char>(std::tolower(u));
      continue;
    }
    end_word();
    if (c == '\n') {
      if (on_line == 1) out.insert(prev);
      on_line = 0;
    }
  }
  end_word();
  if (on_line == 1) out.insert(prev);
  return out;
}

double Jaccard(const std::set<std::string>& a, const std::set<std::string>& b) {
  size_t both = 0;
  for (const auto& s : a) both += b.count(s);
  return double(both) / double(a.size() + b.size() - both);
}

std::vector<std::string> Lines(const std::string& t) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at < t.size()) {
    size_t nl = t.find('\n', at);
    if (nl == std::string::npos) nl = t.size();
    out.push_back(t.substr(at, nl - at));
    at = nl + 1;
  }
  return out;
}

std::string Join(const std::vector<std::string>& lines) {
  std::string t;
  for (const auto& l : lines) t += l + "\n";
  return t;
}

// Three kinds of edit a person makes to a prompt before sending it again.
std::string ChangeWords(std::string t, int n, std::mt19937_64& r) {
  for (int i = 0; i < n; ++i) {
    size_t at = r() % t.size();
    size_t start = t.find(' ', at);
    if (start == std::string::npos) continue;
    size_t end = t.find_first_of(" \n", start + 1);
    if (end == std::string::npos) end = t.size();
    t.replace(start + 1, end - start - 1, "edited" + std::to_string(r() % 1000));
  }
  return t;
}

std::string InsertParagraph(const std::string& t, const std::string& from, std::mt19937_64& r) {
  std::vector<std::string> lines = Lines(t), other = Lines(from);
  size_t at = r() % (lines.size() + 1), take = std::min<size_t>(5, other.size());
  lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(at), other.begin(),
               other.begin() + static_cast<std::ptrdiff_t>(take));
  return Join(lines);
}

std::string ReorderLines(const std::string& t, std::mt19937_64& r) {
  std::vector<std::string> lines = Lines(t);
  std::shuffle(lines.begin(), lines.end(), r);
  return Join(lines);
}

bool Print() { return std::getenv("BURNRATE_PRINT_NEAR_DUP") != nullptr; }

void PrintHistogram(const char* what, const std::map<int, int>& h) {
  if (!Print()) return;
  std::printf("%s:", what);
  for (const auto& [bits, n] : h) std::printf(" %d:%d", bits, n);
  std::printf("\n");
}

TEST(RealText, DistinctDocumentsUnderOneInstructionStayApart) {
  const int near = detect::DetectConfig{}.near_dup_bits;
  std::vector<Doc> docs = LoadCorpus();
  ASSERT_GE(docs.size(), 100u) << "tests/data/real_text is missing";
  std::vector<uint64_t> fp;
  std::vector<std::set<std::string>> sh;
  for (const Doc& d : docs) {
    fp.push_back(model::ComputePromptFeatures(kInstruction + d.text).simhash);
    sh.push_back(Shingles(kInstruction + d.text));
  }
  std::map<int, int> histogram;
  int pairs = 0, copies = 0, near_pairs = 0, near_below_half = 0;
  for (size_t i = 0; i < docs.size(); ++i)
    for (size_t j = i + 1; j < docs.size(); ++j) {
      if (docs[i].kind != docs[j].kind) continue;  // same kind: shared vocabulary
      double jac = Jaccard(sh[i], sh[j]);
      // One text shipped twice (the same changelog in two binary packages of
      // one source) is a copy, not two documents.
      if (jac >= 0.9) {
        ++copies;
        continue;
      }
      ++pairs;
      int d = model::HammingDistance(fp[i], fp[j]);
      ++histogram[d];
      if (d <= near) {
        ++near_pairs;
        near_below_half += jac < 0.5;
        if (Print())
          std::printf("near: %s/%s %s distance %d, exact overlap %.2f\n", docs[i].kind.c_str(),
                      docs[i].name.c_str(), docs[j].name.c_str(), d, jac);
      }
    }
  PrintHistogram("distinct pairs, distance:count", histogram);
  if (Print())
    std::printf("%d distinct pairs, %d copies skipped, %d near\n", pairs, copies, near_pairs);
  EXPECT_GE(pairs, 1500);
  // A pair that shares under half its shingles is never near; pairs that are
  // mostly one text (two licence notices of one upstream, 76% the same
  // shingles) may be, and are rare.
  EXPECT_EQ(near_below_half, 0);
  EXPECT_LE(near_pairs, pairs / 500) << "more than 0.2% of distinct pairs near";
}

TEST(RealText, EditedCopiesStayNear) {
  const int near = detect::DetectConfig{}.near_dup_bits;
  std::vector<Doc> docs = LoadCorpus();
  ASSERT_GE(docs.size(), 100u);
  std::mt19937_64 r(7);
  std::map<std::string, std::map<int, int>> histograms;
  for (size_t i = 0; i < docs.size(); ++i) {
    std::string base = kInstruction + docs[i].text;
    uint64_t fp = model::ComputePromptFeatures(base).simhash;
    const std::string& other =
        docs[(i + docs.size() / 2) % docs.size()].text;  // another kind of text
    std::pair<const char*, std::string> edits[] = {
        {"3 words changed", ChangeWords(base, 3, r)},
        {"5-line paragraph inserted", InsertParagraph(base, other, r)},
        {"lines shuffled", ReorderLines(base, r)},
        {"words changed, paragraph inserted, lines shuffled",
         ReorderLines(InsertParagraph(ChangeWords(base, 3, r), other, r), r)},
    };
    for (const auto& [what, text] : edits) {
      int d = model::HammingDistance(fp, model::ComputePromptFeatures(text).simhash);
      ++histograms[what][d];
      EXPECT_LE(d, near) << what << ": " << docs[i].kind << "/" << docs[i].name;
    }
  }
  for (const auto& [what, h] : histograms) PrintHistogram(what.c_str(), h);
}

}  // namespace
}  // namespace burnrate::cli
