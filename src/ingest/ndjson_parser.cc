// Line-by-line NDJSON parsing with simdjson.
//
// Each line is copied into one reused padded buffer (simdjson needs padding
// past the end, and a line inside a larger body has none guaranteed), parsed
// by the DOM parser (its kernels are picked at run time, so AVX2 is used
// without building for it; the on-demand API picks at compile time and would
// fall back to the slow generic kernel on a baseline x86-64 build), and
// walked once field by field. simdjson validates UTF-8 for the whole line,
// so string checks here are about lengths and shapes only.
#include "ingest/ndjson_parser.h"

#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <cstring>

#include "common/time_util.h"

namespace burnrate::ingest {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;
using value = simdjson::dom::element;

struct LineError {
  std::string error;
  std::string field;
};

bool IsWord(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.')) return false;
  }
  return true;
}

bool ParseHex64(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 16) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out, 16);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

}  // namespace

struct NdjsonParser::Impl {
  Limits limits;
  PromptFeatureFn prompt_features;
  simdjson::dom::parser parser;
  std::string buf;  // the current line plus SIMDJSON_PADDING bytes

  // Each helper returns false and fills err on a bad value.
  bool String(value v, std::string_view field, size_t max, std::string* out, LineError* err) {
    std::string_view s;
    if (v.get_string().get(s)) {
      *err = {std::string(field) + " must be a string", std::string(field)};
      return false;
    }
    if (s.size() > max) {
      *err = {std::string(field) + " is longer than " + std::to_string(max) + " bytes", std::string(field)};
      return false;
    }
    out->assign(s);
    return true;
  }

  bool Tokens(value v, std::string_view field, int64_t* out, LineError* err) {
    auto bad = [&](const std::string& why) {
      *err = {std::string(field) + " " + why, std::string(field)};
      return false;
    };
    switch (v.type()) {
      case element_type::INT64: {
        int64_t n = int64_t(v);
        if (n < 0) return bad("must not be negative");
        if (n > limits.max_tokens) return bad("exceeds the ceiling of " + std::to_string(limits.max_tokens));
        *out = n;
        return true;
      }
      case element_type::UINT64:
        return bad("exceeds the ceiling of " + std::to_string(limits.max_tokens));
      case element_type::DOUBLE: {
        double d = double(v);
        if (d != std::floor(d)) return bad("must be an integer, not a fraction");
        if (d < 0) return bad("must not be negative");
        if (d > double(limits.max_tokens)) return bad("exceeds the ceiling of " + std::to_string(limits.max_tokens));
        *out = int64_t(d);
        return true;
      }
      default:
        return bad("must be a non-negative integer");
    }
  }

  bool Timestamp(value v, TimeMs now, TimeMs* out, LineError* err) {
    if (v.type() == element_type::STRING) {
      auto r = ParseRfc3339(std::string_view(v));
      if (!r.ok()) {
        *err = {"ts must be RFC 3339 (2026-03-21T14:03:04Z) or epoch milliseconds", "ts"};
        return false;
      }
      *out = *r;
    } else if (v.type() == element_type::INT64) {
      *out = int64_t(v);
    } else {
      *err = {"ts must be an RFC 3339 string or an integer of epoch milliseconds", "ts"};
      return false;
    }
    if (*out > now + limits.max_future_ms) {
      *err = {"ts is too far in the future (" + FormatRfc3339(*out) + ")", "ts"};
      return false;
    }
    if (*out < now - limits.retention_ms) {
      *err = {"ts is older than the retention period (" + FormatRfc3339(*out) + ")", "ts"};
      return false;
    }
    return true;
  }

  bool Prompt(value v, model::PromptFeatures* p, LineError* err) {
    simdjson::dom::object obj;
    if (v.get_object().get(obj)) {
      *err = {"prompt must be an object: {\"text\": ...} or precomputed features", "prompt"};
      return false;
    }
    for (auto [key, fv] : obj) {
      if (key == "text") {
        std::string_view text;
        if (fv.get_string().get(text)) return (*err = {"prompt.text must be a string", "prompt.text"}, false);
        if (text.size() > limits.max_prompt) {
          return (*err = {"prompt.text is longer than " + std::to_string(limits.max_prompt) + " bytes", "prompt.text"}, false);
        }
        if (prompt_features) {
          *p = prompt_features(text);
        } else {
          p->length = uint32_t(text.size());
        }
        p->present = true;
      } else if (key == "length") {
        int64_t n;
        if (fv.get_int64().get(n) || n < 0) return (*err = {"prompt.length must be a non-negative integer", "prompt.length"}, false);
        p->length = uint32_t(std::min<int64_t>(n, UINT32_MAX));
        p->present = true;
      } else if (key == "compress_ratio") {
        double d;
        if (fv.get_double().get(d) || d < 0 || d > 10) return (*err = {"prompt.compress_ratio must be a number in [0, 10]", "prompt.compress_ratio"}, false);
        p->compress_ratio = float(d);
        p->present = true;
      } else if (key == "simhash" || key == "exact_hash") {
        std::string_view hex;
        uint64_t h;
        std::string f = "prompt." + std::string(key);
        if (fv.get_string().get(hex) || !ParseHex64(hex, &h)) return (*err = {f + " must be up to 16 hex digits", f}, false);
        (key == "simhash" ? p->simhash : p->exact_hash) = h;
        p->present = true;
      }
    }
    return true;
  }

  bool Line(std::string_view line, TimeMs now, model::Event* e, LineError* err) {
    if (line.size() > limits.max_line) {
      *err = {"line is longer than " + std::to_string(limits.max_line) + " bytes", ""};
      return false;
    }
    buf.assign(line);
    buf.append(simdjson::SIMDJSON_PADDING, '\0');
    element doc;
    if (auto ec = parser.parse(buf.data(), line.size(), false).get(doc)) {
      *err = {std::string("line is not valid JSON: ") + simdjson::error_message(ec), ""};
      return false;
    }
    simdjson::dom::object obj;
    if (doc.get_object().get(obj)) {
      *err = {"line must be a JSON object", ""};
      return false;
    }
    bool has_id = false, has_user = false, has_model = false, has_kind = false, has_ts = false;
    std::string type = "usage";
    double cost_usd = -1;
    for (auto [key, v] : obj) {
      bool ok = true;
      if (key == "id") ok = String(v, "id", limits.max_string, &e->id, err), has_id = true;
      else if (key == "type") ok = String(v, "type", 16, &type, err);
      else if (key == "ts") ok = Timestamp(v, now, &e->ts, err), has_ts = true;
      else if (key == "user") ok = String(v, "user", limits.max_string, &e->user, err), has_user = true;
      else if (key == "team") ok = String(v, "team", limits.max_string, &e->team, err);
      else if (key == "org") ok = String(v, "org", limits.max_string, &e->org, err);
      else if (key == "project") ok = String(v, "project", limits.max_string, &e->project, err);
      else if (key == "source") ok = String(v, "source", limits.max_string, &e->source, err);
      else if (key == "session") ok = String(v, "session", limits.max_string, &e->session, err);
      else if (key == "client") ok = String(v, "client", limits.max_string, &e->client, err);
      else if (key == "model") ok = String(v, "model", limits.max_string, &e->model, err), has_model = true;
      else if (key == "input_tokens") ok = Tokens(v, key, &e->tokens.input, err);
      else if (key == "output_tokens") ok = Tokens(v, key, &e->tokens.output, err);
      else if (key == "cache_read_tokens") ok = Tokens(v, key, &e->tokens.cache_read, err);
      else if (key == "cache_write_tokens") ok = Tokens(v, key, &e->tokens.cache_write, err);
      else if (key == "cache_write_1h_tokens") ok = Tokens(v, key, &e->tokens.cache_write_1h, err);
      else if (key == "cost_usd") {
        if (v.get_double().get(cost_usd) || cost_usd < 0 || cost_usd > limits.max_cost_usd || !std::isfinite(cost_usd)) {
          *err = {"cost_usd must be a number between 0 and " + std::to_string(int64_t(limits.max_cost_usd)), "cost_usd"};
          ok = false;
        }
      } else if (key == "prompt") ok = Prompt(v, &e->prompt, err);
      else if (key == "kind") ok = String(v, "kind", 64, &e->outcome_kind, err), has_kind = true;
      else if (key == "value") {
        if (v.get_double().get(e->outcome_value) || !std::isfinite(e->outcome_value) ||
            std::fabs(e->outcome_value) > 1e9) {
          *err = {"value must be a number of magnitude at most 1e9", "value"};
          ok = false;
        }
      }
      if (!ok) return false;
    }
    auto missing = [&](const char* f) {
      *err = {std::string(f) + " is required", f};
      return false;
    };
    if (!has_id || e->id.empty()) return missing("id");
    if (!has_user || e->user.empty()) return missing("user");
    if (!has_ts) e->ts = now;
    if (type == "outcome") {
      e->type = model::EventType::kOutcome;
      if (!has_kind) return missing("kind");
      if (!IsWord(e->outcome_kind)) {
        *err = {"kind must be one lower-case word (letters, digits, _ - .)", "kind"};
        return false;
      }
    } else if (type == "usage") {
      if (!has_model || e->model.empty()) return missing("model");
      if (e->tokens.cache_write_1h > e->tokens.cache_write) {
        *err = {"cache_write_1h_tokens must not exceed cache_write_tokens", "cache_write_1h_tokens"};
        return false;
      }
      if (cost_usd >= 0) e->cost_nanos = int64_t(std::llround(cost_usd * 1e9));
    } else {
      *err = {"type must be usage or outcome", "type"};
      return false;
    }
    return true;
  }
};

NdjsonParser::NdjsonParser(Limits limits, PromptFeatureFn prompt_features)
    : impl_(std::make_unique<Impl>()) {
  impl_->limits = limits;
  impl_->prompt_features = std::move(prompt_features);
}

NdjsonParser::~NdjsonParser() = default;

ParsedBatch NdjsonParser::Parse(std::string_view body, TimeMs now) {
  ParsedBatch out;
  // One slot per line up front: growing a vector of events moves every
  // event (ten strings each) again at each doubling.
  size_t lines = 1;
  for (const char* p = body.data(); (p = static_cast<const char*>(std::memchr(p, '\n', size_t(body.data() + body.size() - p))));
       ++p)
    ++lines;
  out.events.reserve(lines);
  out.lines.reserve(lines);
  int64_t line_no = 0;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t nl = body.find('\n', pos);
    if (nl == std::string_view::npos) nl = body.size();
    std::string_view line = body.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos) continue;
    model::Event& e = out.events.emplace_back();  // parsed in place
    LineError err;
    if (impl_->Line(line, now, &e, &err)) {
      e.received = now;
      out.lines.push_back(line_no);
    } else {
      out.events.pop_back();
      out.rejects.push_back({line_no, std::move(err.error), std::move(err.field)});
    }
  }
  return out;
}

}  // namespace burnrate::ingest
