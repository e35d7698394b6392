// Model prices and cost computation, in integers.
//
// Prices are held as pico-USD per token (1e-12 USD) and costs as nano-USD
// (1e-9 USD) in int64, so sums are exact and never drift as floating point
// sums do; int64 nano-USD reaches 9.2 billion dollars.
//
// A table starts from the built-in prices (current Anthropic, OpenAI and
// Google models) and can be overlaid from a LiteLLM price file
// (model_prices_and_context_window.json shape). Lookup is by exact name, then
// by a normalised name (provider prefix like "anthropic/" and a trailing
// date like "-20250929" removed), then by family: a model the table does
// not know is priced as the newest known model of its family (Claude opus /
// sonnet / haiku, OpenAI gpt-5 / gpt-5-mini / gpt-4.1 / o-series, Gemini pro /
// flash / flash-lite), and that price is an estimate (PriceMatch::kFamily).
// A model of no known family is unpriced (kNone) and costs 0. Resolving a
// family scans the table's family index, so callers on a hot path resolve
// each distinct name once and keep the answer (model/price_book.h does).
// Thread-safety: const methods are safe to call concurrently; loading is not.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "model/event.h"

namespace burnrate::model {

struct ModelPrice {
  int64_t input = 0;  // pico-USD per token
  int64_t output = 0;
  int64_t cache_read = 0;
  int64_t cache_write = 0;     // 5-minute cache write
  int64_t cache_write_1h = 0;  // 1-hour cache write; 0 = same as cache_write
  // Tiered pricing: when a request's input (input + cache read + cache
  // write) exceeds `tier_threshold` tokens, the *_above prices apply to the
  // whole request. 0 = no tier.
  int64_t tier_threshold = 0;
  int64_t input_above = 0;
  int64_t output_above = 0;
  int64_t cache_read_above = 0;
  int64_t cache_write_above = 0;
};

// How a model's price was found.
enum class PriceMatch : uint8_t {
  kExact = 0,   // the name, or its normalised name, is in the table
  kFamily = 1,  // not in the table: its family's price, an estimate
  kNone = 2,    // no family either: unpriced, costs 0
};

// The answer for one model name. `price` points into the table that
// resolved it and lives as long as that table.
struct PriceResolution {
  const ModelPrice* price = nullptr;  // null when kNone
  PriceMatch match = PriceMatch::kNone;
  std::string priced_as;  // the table entry whose price is used; empty when kNone
};

// Cost in nano-USD of a request's tokens at price `p` (tiers, 1-hour cache
// writes included).
int64_t CostAt(const ModelPrice& p, const TokenCounts& t);

class PriceTable {
 public:
  // The day the built-in prices were last checked against their sources
  // (docs/pricing.md), shown by GET /v1/prices.
  static constexpr const char* kBuiltinTested = "2026-12-04";

  // The built-in table.
  static PriceTable Builtin();
  // An empty table.
  PriceTable() = default;

  // Overlays prices from a LiteLLM-format JSON file; models present in the
  // file replace built-in ones. Errors name the file and the entry.
  Status LoadLiteLLMFile(const std::string& path);
  Status LoadLiteLLMJson(std::string_view json, std::string_view origin);
  // Overlays prices in the models.dev shape: {MODEL: {"cost": {"input",
  // "output", "cache_read", "cache_write"}}} in USD per million tokens, or
  // models.dev's api.json {PROVIDER: {"models": {MODEL: {"cost": ...}}}}.
  Status LoadModelsDevJson(std::string_view json, std::string_view origin);
  // Reads a price file in either format (models.dev when an entry has a
  // "cost" object or a "models" map, else LiteLLM).
  Status LoadPriceFile(const std::string& path);

  void Set(std::string name, ModelPrice p);
  // The exact (or normalised-name) entry; null when the table lacks it.
  const ModelPrice* Find(std::string_view model) const;
  // Exact entry, else the family's estimate, else unpriced.
  PriceResolution Resolve(std::string_view model) const;
  // Cost in nano-USD of a request's tokens at the resolved price (a family
  // estimate included); 0 for an unpriced model. Resolves on every call.
  int64_t CostNanos(std::string_view model, const TokenCounts& t) const;
  size_t size() const { return prices_.size(); }
  // Every entry, by name (unordered).
  const std::unordered_map<std::string, ModelPrice>& entries() const { return prices_; }

  // "anthropic/claude-sonnet-4-5-20250929" -> "claude-sonnet-4-5".
  static std::string Normalize(std::string_view model);
  // The family a model name belongs to ("claude-opus", "gpt-5-mini",
  // "gemini-flash-lite", "o-mini"), or "" when none is known.
  static std::string FamilyOf(std::string_view model);

 private:
  // A plain versioned name of a family ("claude-opus-4-8"), a candidate to
  // stand for the family's unknown models.
  struct FamilyMember {
    std::vector<int> version;
    std::string name;
  };
  // Adds or replaces an entry (`replace` false: only when absent) and keeps
  // the family index in step.
  void Put(const std::string& name, const ModelPrice& p, bool replace);

  std::unordered_map<std::string, ModelPrice> prices_;
  std::map<std::string, std::vector<FamilyMember>> families_;  // family -> members
};

// USD per token (as in price files) to pico-USD per token, rounded.
int64_t UsdPerTokenToPico(double usd);

}  // namespace burnrate::model
