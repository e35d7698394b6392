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
// date like "-20250929" removed). Thread-safety: const methods are safe to
// call concurrently; loading is not.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/status.h"
#include "model/event.h"

namespace burnrate::model {

struct ModelPrice {
  int64_t input = 0;           // pico-USD per token
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

class PriceTable {
 public:
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
  const ModelPrice* Find(std::string_view model) const;
  // Cost in nano-USD of a request's tokens; 0 for an unknown model.
  int64_t CostNanos(std::string_view model, const TokenCounts& t) const;
  size_t size() const { return prices_.size(); }

  // "anthropic/claude-sonnet-4-5-20250929" -> "claude-sonnet-4-5".
  static std::string Normalize(std::string_view model);

 private:
  std::unordered_map<std::string, ModelPrice> prices_;
};

// USD per token (as in price files) to pico-USD per token, rounded.
int64_t UsdPerTokenToPico(double usd);

}  // namespace burnrate::model
