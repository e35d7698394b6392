// Calibration of EstimateCompressRatio against zstd level 1 on a varied
// corpus: prose, code, JSON logs, stack traces, repeated phrases, filler,
// random text and bytes, short and long, and mixtures. The estimate must
// rank texts as zstd does and agree with it on which long texts are low
// entropy, the only use the detectors make of it (docs/detection.md).
//
// BURNRATE_PRINT_CALIBRATION=1 prints the table (name, bytes, zstd, estimate).
#include <gtest/gtest.h>
#include <zstd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "model/prompt_features.h"

namespace burnrate::model {
namespace {

struct Text {
  std::string name, text;
};

const char* const kVocabulary[] = {
    "the",        "of",           "and",         "to",           "a",         "in",
    "is",         "that",         "for",         "it",           "as",        "with",
    "was",        "on",           "be",          "by",           "this",      "are",
    "or",         "from",         "at",          "which",        "but",       "not",
    "have",       "an",           "they",        "we",           "can",       "all",
    "parser",     "request",      "handler",     "session",      "timeout",   "database",
    "migration",  "schema",       "index",       "refactor",     "function",  "variable",
    "compile",    "error",        "warning",     "failing",      "test",      "coverage",
    "latency",    "throughput",   "memory",      "allocation",   "pointer",   "reference",
    "template",   "iterator",     "unicode",     "escape",       "config",    "deployment",
    "kubernetes", "container",    "network",     "socket",       "retry",     "backoff",
    "cache",      "invalidation", "transaction", "rollback",     "commit",    "branch",
    "merge",      "rebase",       "dashboard",   "metric",       "histogram", "percentile",
    "customer",   "invoice",      "payment",     "subscription", "please",    "explain",
    "why",        "how",          "should",      "could",        "would",     "implement",
    "review",     "document",     "quickly",     "carefully",    "instead",   "because",
    "however",    "therefore",    "although",    "whenever"};
constexpr size_t kVocab = sizeof(kVocabulary) / sizeof(kVocabulary[0]);

std::string Prose(size_t bytes, uint64_t seed) {
  std::mt19937_64 r(seed);
  std::string s;
  bool cap = true;
  while (s.size() < bytes) {
    // Zipf-like: small indices (function words) much more often.
    double u = std::uniform_real_distribution<double>(0, 1)(r);
    std::string w = kVocabulary[std::min<size_t>(kVocab - 1, size_t(std::pow(u, 2.2) * kVocab))];
    if (cap) w[0] = char(std::toupper(w[0])), cap = false;
    s += w;
    int p = int(r() % 23);
    if (p == 0) {
      s += ". ", cap = true;
    } else if (p == 1) {
      s += ", ";
    } else if (p == 2) {
      s += " " + std::to_string(r() % 1000) + " ";
    } else {
      s += ' ';
    }
  }
  return s;
}

std::string Code(size_t bytes, uint64_t seed) {
  std::mt19937_64 r(seed);
  std::string s;
  auto id = [&] {
    return std::string(kVocabulary[30 + r() % (kVocab - 30)]) + "_" +
           kVocabulary[30 + r() % (kVocab - 30)];
  };
  while (s.size() < bytes) {
    switch (r() % 5) {
      case 0:
        s += "  if (" + id() + " == nullptr) return Status::NotFound(\"" + id() + "\");\n";
        break;
      case 1:
        s += "  auto " + id() + " = " + id() + "->" + id() + "(" + std::to_string(r() % 100) +
             ");\n";
        break;
      case 2:
        s += "  for (size_t i = 0; i < " + id() + ".size(); ++i) " + id() + " += i;\n";
        break;
      case 3:
        s += "}\n\nint " + id() + "(const std::string& " + id() + ") {\n";
        break;
      default:
        s += "  // " + Prose(40 + r() % 40, r()) + "\n";
    }
  }
  return s;
}

std::string JsonLogs(size_t bytes, uint64_t seed) {
  std::mt19937_64 r(seed);
  std::string s;
  while (s.size() < bytes) {
    char line[256];
    std::snprintf(line, sizeof line,
                  "{\"ts\":\"2026-11-25T%02d:%02d:%02d.%03dZ\",\"level\":\"%s\",\"req\":\"%"
                  "016llx\",\"ms\":%d,\"path\":\"/v1/%s\"}\n",
                  int(r() % 24), int(r() % 60), int(r() % 60), int(r() % 1000),
                  r() % 4 ? "info" : "warn", (unsigned long long)r(), int(r() % 5000),
                  kVocabulary[30 + r() % (kVocab - 30)]);
    s += line;
  }
  return s;
}

std::string StackTrace(size_t bytes, uint64_t seed) {
  std::mt19937_64 r(seed);
  std::string s = "Traceback (most recent call last):\n";
  while (s.size() < bytes) {
    s += "  File \"/srv/app/" + std::string(kVocabulary[30 + r() % 20]) + ".py\", line " +
         std::to_string(r() % 900) + ", in " + kVocabulary[30 + r() % 20] +
         "\n    return self._dispatch(request, *args, **kwargs)\n";
  }
  return s;
}

std::string Repeat(const std::string& unit, size_t bytes) {
  std::string s;
  while (s.size() < bytes) s += unit;
  return s;
}

// A phrase repeated with a counter or a random word swapped in now and then:
// the adaptive farmer's filler.
std::string NoisyFiller(size_t bytes, uint64_t seed, int noise_every) {
  std::mt19937_64 r(seed);
  std::string s;
  for (int i = 0; s.size() < bytes; ++i) {
    s += "Continue writing the story about the quiet harbour town. ";
    if (i % noise_every == 0)
      s += std::string(kVocabulary[r() % kVocab]) + " " + std::to_string(r() % 100) + " ";
  }
  return s;
}

std::string RandomText(size_t bytes, uint64_t seed, const std::string& alphabet) {
  std::mt19937_64 r(seed);
  std::string s(bytes, ' ');
  for (char& c : s) c = alphabet[r() % alphabet.size()];
  return s;
}

std::string RandomBytes(size_t bytes, uint64_t seed) {
  std::mt19937_64 r(seed);
  std::string s(bytes, '\0');
  for (char& c : s) c = char(r() & 255);
  return s;
}

const char kRealPrompt[] =
    "I'm seeing intermittent 502s from the checkout service after yesterday's deploy. The nginx "
    "logs show "
    "upstream timeouts after exactly 30s, but the service's own p99 is 800ms. Can you look at the "
    "connection "
    "pool settings in services/checkout/db.go and the keepalive config in deploy/nginx.conf, "
    "figure out "
    "whether we're exhausting connections under load, and propose a fix with a test that "
    "reproduces it?";

std::vector<Text> Corpus() {
  const std::string b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::vector<Text> c;
  for (size_t n : {120, 300, 700, 2000, 6000}) {
    c.push_back({"prose", Prose(n, n)});
    c.push_back({"code", Code(n, n + 1)});
    c.push_back({"json_logs", JsonLogs(n, n + 2)});
    c.push_back({"base64", RandomText(n, n + 3, b64)});
    c.push_back({"filler_repeat", Repeat("please keep going and write more words. ", n)});
    c.push_back({"filler_noisy", NoisyFiller(n, n + 4, 3)});
  }
  for (size_t n : {300, 2000, 9000}) {
    c.push_back({"stack_trace", StackTrace(n, n)});
    c.push_back({"random_bytes", RandomBytes(n, n)});
    c.push_back({"hex", RandomText(n, n + 5, "0123456789abcdef")});
    c.push_back({"one_char", std::string(n, 'a')});
    c.push_back({"word_cycle", Repeat("alpha beta gamma delta epsilon zeta eta theta ", n)});
    c.push_back({"filler_sparse_noise", NoisyFiller(n, n + 6, 12)});
    c.push_back({"prompt_plus_filler", kRealPrompt + Repeat(" token", n)});
    c.push_back({"code_with_pasted_log", Code(n / 2, n + 7) + JsonLogs(n / 2, n + 8)});
  }
  c.push_back({"real_prompt", kRealPrompt});
  c.push_back({"real_prompt_x4", Repeat(std::string(kRealPrompt) + "\n", 1600)});
  c.push_back({"short", "fix the failing test in parser.cc"});
  c.push_back({"continue", "continue"});
  return c;
}

double Zstd(const std::string& s) {
  std::string t = s.substr(0, 4096);  // the old feature: first 4 KB, level 1
  std::string out(ZSTD_compressBound(t.size()), '\0');
  size_t r = ZSTD_compress(out.data(), out.size(), t.data(), t.size(), 1);
  return double(r) / double(t.size());
}

std::vector<double> Ranks(const std::vector<double>& v) {
  std::vector<size_t> idx(v.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<double> r(v.size());
  for (size_t i = 0; i < idx.size();) {  // average ranks of ties
    size_t j = i;
    while (j + 1 < idx.size() && v[idx[j + 1]] == v[idx[i]]) ++j;
    for (size_t k = i; k <= j; ++k) r[idx[k]] = (double(i) + double(j)) / 2;
    i = j + 1;
  }
  return r;
}

double Spearman(const std::vector<double>& a, const std::vector<double>& b) {
  auto ra = Ranks(a), rb = Ranks(b);
  double ma = std::accumulate(ra.begin(), ra.end(), 0.0) / ra.size(),
         mb = std::accumulate(rb.begin(), rb.end(), 0.0) / rb.size();
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < ra.size(); ++i) {
    sab += (ra[i] - ma) * (rb[i] - mb), saa += (ra[i] - ma) * (ra[i] - ma),
        sbb += (rb[i] - mb) * (rb[i] - mb);
  }
  return sab / std::sqrt(saa * sbb);
}

TEST(CompressEstimate, RanksTextsLikeZstd) {
  auto corpus = Corpus();
  std::vector<double> z, e;
  bool print = std::getenv("BURNRATE_PRINT_CALIBRATION") != nullptr;
  double abs_err = 0;
  for (const auto& t : corpus) {
    z.push_back(Zstd(t.text));
    e.push_back(EstimateCompressRatio(t.text));
    abs_err += std::abs(z.back() - e.back());
    if (print)
      std::printf("%-22s %6zu  zstd %.3f  est %.3f\n", t.name.c_str(), t.text.size(), z.back(),
                  e.back());
  }
  double rho = Spearman(z, e);
  if (print)
    std::printf("spearman %.4f  mean abs error %.4f over %zu texts\n", rho, abs_err / z.size(),
                z.size());
  EXPECT_GE(rho, 0.95);
  EXPECT_LE(abs_err / double(z.size()), 0.08);
}

// The estimate keeps per-thread scratch (its histogram is cleared as it is
// read): a text's ratio must not depend on what was estimated before it.
TEST(CompressEstimate, NoStateCarriesFromOneTextToTheNext) {
  std::string prose =
      "Please refactor the retry loop in the payment client and keep the public API unchanged; "
      "run the unit tests and the linter before you finish, and list what you changed.";
  float first = EstimateCompressRatio(prose);
  for (const std::string& other :
       {std::string(3000, 'x'), RandomBytes(3000, 4), std::string("tiny"), prose + prose})
    EXPECT_GT(EstimateCompressRatio(other), 0.0f);
  EXPECT_EQ(EstimateCompressRatio(prose), first);
}

// The detectors ask one question of the ratio: is a prompt of at least 256
// bytes at or below 0.2 (low entropy)? Clear cases must get zstd's answer.
TEST(CompressEstimate, FlagsTheLowEntropyTextsZstdFlags) {
  for (const auto& t : Corpus()) {
    if (t.text.size() < 256) continue;
    double z = Zstd(t.text), e = EstimateCompressRatio(t.text);
    if (z <= 0.15) {
      EXPECT_LE(e, 0.2) << t.name << " " << t.text.size() << " zstd " << z;
    }
    if (z >= 0.3) {
      EXPECT_GT(e, 0.2) << t.name << " " << t.text.size() << " zstd " << z;
    }
  }
}

TEST(CompressEstimate, ShortAndRandomTextsAreNotLowEntropy) {
  EXPECT_GT(EstimateCompressRatio("continue"), 0.9);
  EXPECT_GT(EstimateCompressRatio(RandomBytes(3000, 9)), 0.95);
  EXPECT_GT(EstimateCompressRatio(kRealPrompt), 0.5);
  EXPECT_LT(EstimateCompressRatio(std::string(5000, 'x')), 0.05);
  EXPECT_FLOAT_EQ(EstimateCompressRatio(""), 1.0f);
}

// Matches are searched from a content-picked quarter of the word starts and
// punctuation, and from the start of every 16-byte lane without one:
// repetition without spaces or punctuation, at periods that do not divide
// 16, is found all the same (a farmer cannot pick filler that hides from
// the anchors).
TEST(CompressEstimate, RepetitionWithoutWordBoundariesIsFound) {
  auto repeat = [](const std::string& unit, size_t bytes) {
    std::string t;
    while (t.size() < bytes) t += unit;
    return t.substr(0, bytes);
  };
  for (const std::string& unit :
       {std::string("abcdefg"), std::string("xyz12"), std::string("Q9"), RandomBytes(37, 4),
        RandomBytes(181, 5), std::string(61, 'k') + "j"}) {
    std::string t = repeat(unit, 3000);
    EXPECT_LE(Zstd(t), 0.15) << unit.size();
    EXPECT_LE(EstimateCompressRatio(t), 0.2) << unit.size();
  }
}

// Filler whose period repeats a word inside it ("token token token farm"):
// with few anchors, the nearest earlier copy of a picked word gives only
// short matches, so a table entry keeps the older position that finds the
// period. Periods of 2-8 words from the vocabulary, each with a repeat.
TEST(CompressEstimate, PeriodsThatRepeatAWordAreFound) {
  std::mt19937_64 r(21);
  for (int k = 0; k < 200; ++k) {
    std::vector<std::string> unit;
    size_t words = 2 + r() % 7;
    for (size_t i = 0; i < words; ++i) unit.push_back(kVocabulary[r() % kVocab]);
    unit.push_back(unit[r() % words]);  // a word twice in the period
    std::shuffle(unit.begin(), unit.end(), r);
    std::string period;
    for (const auto& w : unit) period += w + (r() % 4 ? " " : ", ");
    std::string t;
    while (t.size() < 2000) t += period;
    EXPECT_LE(Zstd(t), 0.15) << period;
    EXPECT_LE(EstimateCompressRatio(t), 0.2) << period;
  }
}

}  // namespace
}  // namespace burnrate::model
