#include "model/price_table.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

namespace burnrate::model {
namespace {

// USD per million tokens -> pico-USD per token: $1/M = 1e-6 $/token = 1e6 pico.
constexpr int64_t PerM(double usd_per_million) {
  return static_cast<int64_t>(usd_per_million * 1e6 + 0.5);
}

struct BuiltinRow {
  const char* name;
  double in, out, cache_read, cache_write, cache_write_1h;
  int64_t tier;  // tokens; 0 = none
  double in_above, out_above, cache_read_above, cache_write_above;
};

// Published list prices (USD per million tokens), November 2026; the Claude
// rows checked against the models.dev and LiteLLM files on
// PriceTable::kBuiltinTested (docs/pricing.md). Anthropic's 1-hour cache
// write is twice the input price.
constexpr BuiltinRow kBuiltin[] = {
    // Anthropic
    {"claude-fable-5", 10, 50, 1, 12.5, 20, 0, 0, 0, 0, 0},
    {"claude-opus-4-8", 5, 25, 0.5, 6.25, 10, 0, 0, 0, 0, 0},
    {"claude-opus-4-7", 5, 25, 0.5, 6.25, 10, 0, 0, 0, 0, 0},
    {"claude-opus-4-6", 5, 25, 0.5, 6.25, 10, 0, 0, 0, 0, 0},
    {"claude-opus-4-5", 5, 25, 0.5, 6.25, 10, 0, 0, 0, 0, 0},
    {"claude-opus-4-1", 15, 75, 1.5, 18.75, 30, 0, 0, 0, 0, 0},
    {"claude-opus-4", 15, 75, 1.5, 18.75, 30, 0, 0, 0, 0, 0},
    {"claude-sonnet-4-6", 3, 15, 0.3, 3.75, 6, 0, 0, 0, 0, 0},
    {"claude-sonnet-4-5", 3, 15, 0.3, 3.75, 6, 200000, 6, 22.5, 0.6, 7.5},
    {"claude-sonnet-4", 3, 15, 0.3, 3.75, 6, 200000, 6, 22.5, 0.6, 7.5},
    {"claude-3-7-sonnet", 3, 15, 0.3, 3.75, 6, 0, 0, 0, 0, 0},
    {"claude-haiku-4-5", 1, 5, 0.1, 1.25, 2, 0, 0, 0, 0, 0},
    {"claude-3-5-haiku", 0.8, 4, 0.08, 1, 1.6, 0, 0, 0, 0, 0},
    // OpenAI (cache writes are not billed separately)
    {"gpt-5", 1.25, 10, 0.125, 0, 0, 0, 0, 0, 0, 0},
    {"gpt-5-mini", 0.25, 2, 0.025, 0, 0, 0, 0, 0, 0, 0},
    {"gpt-5-nano", 0.05, 0.4, 0.005, 0, 0, 0, 0, 0, 0, 0},
    {"gpt-4.1", 2, 8, 0.5, 0, 0, 0, 0, 0, 0, 0},
    {"gpt-4.1-mini", 0.4, 1.6, 0.1, 0, 0, 0, 0, 0, 0, 0},
    {"gpt-4o", 2.5, 10, 1.25, 0, 0, 0, 0, 0, 0, 0},
    {"gpt-4o-mini", 0.15, 0.6, 0.075, 0, 0, 0, 0, 0, 0, 0},
    {"o3", 2, 8, 0.5, 0, 0, 0, 0, 0, 0, 0},
    {"o4-mini", 1.1, 4.4, 0.275, 0, 0, 0, 0, 0, 0, 0},
    // Google
    {"gemini-2.5-pro", 1.25, 10, 0.31, 0, 0, 200000, 2.5, 15, 0.625, 0},
    {"gemini-2.5-flash", 0.3, 2.5, 0.075, 0, 0, 0, 0, 0, 0, 0},
    {"gemini-2.5-flash-lite", 0.1, 0.4, 0.025, 0, 0, 0, 0, 0, 0, 0},
};

int64_t Mul(int64_t tokens, int64_t pico) {
  // tokens * pico-USD / 1000 = nano-USD, rounded half up. Real counts and
  // prices fit in 64 bits (50 M tokens x $1,000/M is 5e16), where dividing
  // by the constant is a multiply; a 128-bit division is a library call
  // costing more than the rest of the event's pricing.
  if (tokens >= 0 && pico >= 0 && tokens < (int64_t(1) << 31) && pico < (int64_t(1) << 31))
    return (tokens * pico + 500) / 1000;
  __int128 p = static_cast<__int128>(tokens) * pico;
  return static_cast<int64_t>((p + 500) / 1000);
}

bool IsDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

bool IsAlpha(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < 'a' || c > 'z') return false;
  return true;
}

// "4.5" -> {4, 5}; false unless digits and single dots only.
bool ParseVersion(std::string_view s, std::vector<int>* out) {
  size_t start = 0;
  for (;;) {
    size_t dot = s.find('.', start);
    std::string_view part = s.substr(start, dot == std::string_view::npos ? s.npos : dot - start);
    if (!IsDigits(part) || part.size() > 6) return false;
    out->push_back(std::stoi(std::string(part)));
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

std::vector<std::string_view> SplitDashes(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t dash; (dash = s.find('-', start)) != std::string_view::npos; start = dash + 1)
    out.push_back(s.substr(start, dash - start));
  out.push_back(s.substr(start));
  return out;
}

// A model name taken apart for family pricing. `plain` is true when the
// name is nothing but family and version ("claude-opus-4-8", "gpt-5-mini",
// "gemini-2.5-flash-lite"): only plain names stand for a family, so a
// "-fast", "-thinking" or "-preview" variant never sets its price.
struct Family {
  std::string key;  // "" = no known family
  std::vector<int> version;
  bool plain = true;
};

// Claude: "claude-opus-4-8", "claude-3-7-sonnet", "claude-opus-4.8": the one
// word is the family, the numbers its version.
Family ClaudeFamily(const std::vector<std::string_view>& parts) {
  Family f;
  for (size_t i = 1; i < parts.size(); ++i) {
    std::vector<int> v;
    if (ParseVersion(parts[i], &v)) {
      f.version.insert(f.version.end(), v.begin(), v.end());
    } else if (f.key.empty() && IsAlpha(parts[i])) {
      f.key = "claude-" + std::string(parts[i]);
    } else {
      f.plain = false;
    }
  }
  if (f.version.empty()) f.key.clear();
  return f;
}

// OpenAI: "gpt-5.1-codex-mini" is gpt-5-mini at version 5.1; "gpt-4o" its
// own family; "o4-mini" the o-series' mini. Size words (mini, nano, pro)
// split a family, since their prices differ several times over; other
// words (codex, max, chat, preview) do not.
Family OpenAiFamily(const std::vector<std::string_view>& parts) {
  Family f;
  std::string_view head = parts[0] == "gpt" && parts.size() > 1 ? parts[1] : parts[0];
  size_t rest = parts[0] == "gpt" ? 2 : 1;
  if (parts[0] == "gpt") {
    bool omni = head.size() > 1 && head.back() == 'o';
    if (!ParseVersion(omni ? head.substr(0, head.size() - 1) : head, &f.version)) return {};
    f.key = "gpt-" + std::to_string(f.version[0]) + (omni ? "o" : "");
  } else {
    if (head.size() < 2 || head[0] != 'o' || !IsDigits(head.substr(1))) return {};
    f.version.push_back(std::stoi(std::string(head.substr(1))));
    f.key = "o";
  }
  for (size_t i = rest; i < parts.size(); ++i) {
    if (parts[i] == "mini" || parts[i] == "nano" || parts[i] == "pro") {
      f.key += "-" + std::string(parts[i]);
    } else {
      f.plain = false;
    }
  }
  return f;
}

// Gemini: "gemini-3-pro-preview" is gemini-pro at version 3; tiers pro,
// flash, flash-lite (and ultra, nano) are families.
Family GeminiFamily(const std::vector<std::string_view>& parts) {
  Family f;
  if (parts.size() < 3 || !ParseVersion(parts[1], &f.version)) return {};
  f.key = "gemini";
  for (size_t i = 2; i < parts.size(); ++i) {
    std::string_view p = parts[i];
    if (p == "pro" || p == "flash" || p == "lite" || p == "ultra" || p == "nano") {
      f.key += "-" + std::string(p);
    } else {
      f.plain = false;
    }
  }
  if (f.key == "gemini") return {};
  return f;
}

Family FamilyParts(std::string_view model) {
  std::string n = PriceTable::Normalize(model);
  std::transform(n.begin(), n.end(), n.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  std::vector<std::string_view> parts = SplitDashes(n);
  Family f;
  if (parts[0] == "claude")
    f = ClaudeFamily(parts);
  else if (parts[0] == "gpt" || (parts[0].size() > 1 && parts[0][0] == 'o'))
    f = OpenAiFamily(parts);
  else if (parts[0] == "gemini")
    f = GeminiFamily(parts);
  if (f.key.empty()) f.plain = false;
  return f;
}

}  // namespace

int64_t CostAt(const ModelPrice& p, const TokenCounts& t) {
  int64_t context = t.input + t.cache_read + t.cache_write;
  bool above = p.tier_threshold > 0 && context > p.tier_threshold;
  int64_t in = above && p.input_above ? p.input_above : p.input;
  int64_t out = above && p.output_above ? p.output_above : p.output;
  int64_t cr = above && p.cache_read_above ? p.cache_read_above : p.cache_read;
  int64_t cw = above && p.cache_write_above ? p.cache_write_above : p.cache_write;
  int64_t cw1h = p.cache_write_1h ? p.cache_write_1h : cw;
  if (above && p.cache_write_above && p.cache_write > 0) {
    cw1h = cw1h * p.cache_write_above / p.cache_write;  // keep the 1h/5m ratio
  }
  int64_t w1h = std::min(t.cache_write_1h, t.cache_write);
  return Mul(t.input, in) + Mul(t.output, out) + Mul(t.cache_read, cr) +
         Mul(t.cache_write - w1h, cw) + Mul(w1h, cw1h);
}

namespace {

Result<std::string> ReadPriceFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status::IOError("cannot open price file " + path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The opening both file formats share: `json` parsed by `parser` (which
// owns the result) and its top level, which must be an object.
Result<simdjson::dom::object> ParseTopObject(simdjson::dom::parser& parser, std::string_view json,
                                             std::string_view origin) {
  simdjson::dom::element root;
  if (auto err = parser.parse(json.data(), json.size()).get(root)) {
    return Status::InvalidArgument(std::string(origin) +
                                   ": not valid JSON: " + simdjson::error_message(err));
  }
  simdjson::dom::object obj;
  if (root.get(obj))
    return Status::InvalidArgument(std::string(origin) + ": top level is not an object");
  return obj;
}

}  // namespace

int64_t UsdPerTokenToPico(double usd) { return static_cast<int64_t>(std::llround(usd * 1e12)); }

PriceTable PriceTable::Builtin() {
  PriceTable t;
  for (const auto& r : kBuiltin) {
    ModelPrice p;
    p.input = PerM(r.in);
    p.output = PerM(r.out);
    p.cache_read = PerM(r.cache_read);
    p.cache_write = PerM(r.cache_write);
    p.cache_write_1h = PerM(r.cache_write_1h);
    p.tier_threshold = r.tier;
    p.input_above = PerM(r.in_above);
    p.output_above = PerM(r.out_above);
    p.cache_read_above = PerM(r.cache_read_above);
    p.cache_write_above = PerM(r.cache_write_above);
    t.Set(r.name, p);
  }
  return t;
}

void PriceTable::Set(std::string name, ModelPrice p) { Put(name, p, true); }

void PriceTable::Put(const std::string& name, const ModelPrice& p, bool replace) {
  auto [it, inserted] = prices_.try_emplace(name, p);
  if (!inserted) {
    if (replace) it->second = p;
    return;
  }
  // Only plain names as they are written in the table stand for a family:
  // "eu.anthropic.claude-opus-4-7" may carry a regional surcharge.
  if (Normalize(name) != name) return;
  Family f = FamilyParts(name);
  if (!f.plain) return;
  families_[f.key].push_back({std::move(f.version), name});
}

std::string PriceTable::FamilyOf(std::string_view model) { return FamilyParts(model).key; }

std::string PriceTable::Normalize(std::string_view m) {
  // Provider prefixes: "anthropic/", "openai/", "vertex_ai/", "anthropic.".
  if (auto slash = m.rfind('/'); slash != std::string_view::npos) m.remove_prefix(slash + 1);
  for (std::string_view p : {"anthropic.", "us.anthropic.", "eu.anthropic."}) {
    if (m.substr(0, p.size()) == p) m.remove_prefix(p.size());
  }
  // Bedrock-style suffixes "-v1:0" and "@20251001".
  if (auto at = m.find('@'); at != std::string_view::npos) m = m.substr(0, at);
  if (auto colon = m.find(':'); colon != std::string_view::npos) m = m.substr(0, colon);
  if (m.size() > 3 && m.substr(m.size() - 3, 2) == "-v") m.remove_suffix(3);
  // Trailing date "-20250929" or "-2025-09-29".
  if (auto dash = m.rfind('-');
      dash != std::string_view::npos && m.size() - dash - 1 == 8 && IsDigits(m.substr(dash + 1))) {
    m = m.substr(0, dash);
  }
  if (m.size() > 11 && m[m.size() - 11] == '-' && IsDigits(m.substr(m.size() - 10, 4)) &&
      m[m.size() - 6] == '-' && m[m.size() - 3] == '-') {
    m.remove_suffix(11);
  }
  if (m.size() > 7 && m.substr(m.size() - 7) == "-latest") m.remove_suffix(7);
  return std::string(m);
}

const ModelPrice* PriceTable::Find(std::string_view model) const {
  if (auto it = prices_.find(std::string(model)); it != prices_.end()) return &it->second;
  std::string n = Normalize(model);
  if (auto it = prices_.find(n); it != prices_.end()) return &it->second;
  // Older naming: "claude-4-sonnet" -> "claude-sonnet-4".
  for (std::string_view fam : {"opus", "sonnet", "haiku"}) {
    std::string old = "claude-4-" + std::string(fam);
    if (n.rfind(old, 0) == 0) {
      if (auto it = prices_.find("claude-" + std::string(fam) + "-4" + n.substr(old.size()));
          it != prices_.end())
        return &it->second;
    }
  }
  return nullptr;
}

PriceResolution PriceTable::Resolve(std::string_view model) const {
  if (const ModelPrice* p = Find(model)) return {p, PriceMatch::kExact, std::string(model)};
  Family f = FamilyParts(model);
  auto fam = families_.find(f.key);
  if (f.key.empty() || fam == families_.end()) return {};
  // The newest member not newer than the model ("claude-opus-5-5" takes
  // claude-opus-4-8), else the oldest newer one ("gemini-1.5-pro" takes
  // gemini-2.5-pro). Ties (same version) go to the smaller name, so the
  // answer does not depend on the order the table was filled in.
  const FamilyMember* best = nullptr;
  auto better = [&](const FamilyMember& m) {
    if (best == nullptr) return true;
    bool m_older = m.version <= f.version, best_older = best->version <= f.version;
    if (m_older != best_older) return m_older;
    if (m.version != best->version)
      return m_older ? m.version > best->version : m.version < best->version;
    return m.name < best->name;
  };
  for (const FamilyMember& m : fam->second)
    if (better(m)) best = &m;
  return {&prices_.at(best->name), PriceMatch::kFamily, best->name};
}

int64_t PriceTable::CostNanos(std::string_view model, const TokenCounts& t) const {
  PriceResolution r = Resolve(model);
  return r.price ? CostAt(*r.price, t) : 0;
}

Status PriceTable::LoadLiteLLMFile(const std::string& path) {
  BR_ASSIGN_OR_RETURN(std::string json, ReadPriceFile(path));
  return LoadLiteLLMJson(json, path);
}

Status PriceTable::LoadLiteLLMJson(std::string_view json, std::string_view origin) {
  simdjson::dom::parser parser;
  BR_ASSIGN_OR_RETURN(simdjson::dom::object obj, ParseTopObject(parser, json, origin));
  for (auto [key, value] : obj) {
    simdjson::dom::object entry;
    if (value.get(entry)) continue;  // "sample_spec" and similar non-model keys
    auto num = [&](const char* field, int64_t* out) -> bool {
      double d;
      if (entry[field].get(d) == simdjson::SUCCESS) {
        *out = UsdPerTokenToPico(d);
        return true;
      }
      return false;
    };
    ModelPrice p;
    bool any = num("input_cost_per_token", &p.input);
    any |= num("output_cost_per_token", &p.output);
    if (!any) continue;  // embeddings, images: nothing per token to bill here
    num("cache_read_input_token_cost", &p.cache_read);
    num("cache_creation_input_token_cost", &p.cache_write);
    num("cache_creation_input_token_cost_above_1hr", &p.cache_write_1h);
    if (num("input_cost_per_token_above_200k_tokens", &p.input_above)) p.tier_threshold = 200000;
    num("output_cost_per_token_above_200k_tokens", &p.output_above);
    num("cache_read_input_token_cost_above_200k_tokens", &p.cache_read_above);
    num("cache_creation_input_token_cost_above_200k_tokens", &p.cache_write_above);
    std::string name(key);
    Put(name, p, true);
    // Make "anthropic.claude-x-v1:0" findable as "claude-x" unless a direct
    // entry for the normalised name exists in the file.
    std::string norm = Normalize(name);
    if (norm != name && obj[norm].error() != simdjson::SUCCESS) Put(norm, p, false);
  }
  return Status::OK();
}

Status PriceTable::LoadModelsDevJson(std::string_view json, std::string_view origin) {
  simdjson::dom::parser parser;
  BR_ASSIGN_OR_RETURN(simdjson::dom::object obj, ParseTopObject(parser, json, origin));
  // USD per million tokens -> pico-USD per token.
  auto per_m = [](simdjson::dom::object cost, const char* f, int64_t* out) {
    double d;
    if (cost[f].get(d) != simdjson::SUCCESS) return false;
    if (d < 0) return false;
    *out = static_cast<int64_t>(std::llround(d * 1e6));
    return true;
  };
  auto add = [&](std::string_view name, simdjson::dom::object model) -> Status {
    simdjson::dom::object cost;
    if (model["cost"].get(cost)) return Status::OK();  // free or unpriced
    ModelPrice p;
    bool any = per_m(cost, "input", &p.input);
    any |= per_m(cost, "output", &p.output);
    if (!any) return Status::OK();
    per_m(cost, "cache_read", &p.cache_read);
    per_m(cost, "cache_write", &p.cache_write);
    std::string n(name);
    Put(n, p, true);
    std::string norm = Normalize(n);
    if (norm != n) Put(norm, p, false);
    return Status::OK();
  };
  for (auto [key, value] : obj) {
    simdjson::dom::object entry;
    if (value.get(entry)) continue;
    simdjson::dom::object models;
    if (!entry["models"].get(models)) {  // api.json: provider -> models
      for (auto [mkey, mval] : models) {
        simdjson::dom::object m;
        if (!mval.get(m)) BR_RETURN_IF_ERROR(add(mkey, m));
      }
    } else {
      BR_RETURN_IF_ERROR(add(key, entry));
    }
  }
  return Status::OK();
}

Status PriceTable::LoadPriceFile(const std::string& path) {
  BR_ASSIGN_OR_RETURN(std::string json, ReadPriceFile(path));
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (parser.parse(json).get(obj)) return LoadLiteLLMJson(json, path);  // reports the error
  for (auto [key, value] : obj) {
    simdjson::dom::object entry;
    if (value.get(entry)) continue;
    if (entry["cost"].error() == simdjson::SUCCESS || entry["models"].error() == simdjson::SUCCESS)
      return LoadModelsDevJson(json, path);
    if (entry["input_cost_per_token"].error() == simdjson::SUCCESS) break;
  }
  return LoadLiteLLMJson(json, path);
}

}  // namespace burnrate::model
