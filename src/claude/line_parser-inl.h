// The body of line_parser_{haswell,fallback}.cc: the same source compiled
// for two simdjson on-demand implementations. Include after <simdjson.h>,
// inside an anonymous namespace in burnrate::claude.
// NOLINT(build/header_guard): included by two files on purpose.

using simdjson::ondemand::object;
using simdjson::ondemand::value;

bool ReadCount(value v, int64_t* out) {
  double d;
  if (v.get_double().get(d) || !std::isfinite(d)) return false;
  *out = static_cast<int64_t>(std::llround(d));
  return true;
}

// ^\d+\.\d+\.\d+ (a prefix: "2.1.81-beta" is fine).
bool IsVersion(std::string_view s) {
  size_t i = 0;
  for (int part = 0; part < 3; ++part) {
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == start) return false;
    if (part < 2) {
      if (i >= s.size() || s[i] != '.') return false;
      ++i;
    }
  }
  return true;
}

bool ReadNonEmpty(value v, std::string_view* out) {
  return !v.get_string().get(*out) && !out->empty();
}

bool ParseCacheCreation(value v, LineFields* f) {
  object o;
  if (v.get_object().get(o)) return true;  // not in ccusage's schema: ignore
  for (auto field : o) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return false;
    if (key == "ephemeral_1h_input_tokens") {
      int64_t n;
      if (ReadCount(field.value(), &n)) f->tokens.cache_write_1h = n;
    }
  }
  return true;
}

bool ParseUsage(value v, LineFields* f) {
  object o;
  if (v.get_object().get(o)) return true;  // usage not an object: not a usage line
  f->has_usage = true;
  for (auto field : o) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return false;
    if (key == "input_tokens") {
      f->has_in = ReadCount(field.value(), &f->tokens.input);
      if (!f->has_in) f->bad = "usage.input_tokens is not a number";
    } else if (key == "output_tokens") {
      f->has_out = ReadCount(field.value(), &f->tokens.output);
      if (!f->has_out) f->bad = "usage.output_tokens is not a number";
    } else if (key == "cache_creation_input_tokens") {
      if (!ReadCount(field.value(), &f->tokens.cache_write))
        f->bad = "usage.cache_creation_input_tokens is not a number";
    } else if (key == "cache_read_input_tokens") {
      if (!ReadCount(field.value(), &f->tokens.cache_read))
        f->bad = "usage.cache_read_input_tokens is not a number";
    } else if (key == "cache_creation") {
      if (!ParseCacheCreation(field.value(), f)) return false;
    }
  }
  return true;
}

// ccusage's schema: content, when present, is an array of objects whose
// `text`, when present, is a string. Returns false on malformed JSON.
// Also collects the text of a user prompt (a string, or the text blocks).
bool CheckContent(value v, LineFields* f) {
  simdjson::ondemand::json_type t;
  if (v.type().get(t)) return false;
  if (t == simdjson::ondemand::json_type::string) {
    f->bad = "message.content is not an array";
    return !v.get_string().get(f->prompt);
  }
  simdjson::ondemand::array arr;
  if (v.get_array().get(arr)) {
    f->bad = "message.content is not an array";
    return true;
  }
  std::string_view first;
  int texts = 0;
  for (auto el : arr) {
    object o;
    if (el.get_object().get(o)) {
      if (el.error()) return false;
      f->bad = "message.content has a non-object element";
      continue;
    }
    for (auto field : o) {
      std::string_view key;
      if (field.unescaped_key().get(key)) return false;
      if (key == "text") {
        std::string_view text;
        if (field.value().get_string().get(text)) {
          f->bad = "message.content[].text is not a string";
        } else if (++texts == 1) {
          first = text;
        } else {
          if (texts == 2) f->prompt_buf.assign(first);
          f->prompt_buf.append("\n").append(text);
        }
      } else if (key == "type") {
        std::string_view type;
        if (!field.value().get_string().get(type) && type == "tool_result")
          f->has_tool_result = true;
      }
    }
  }
  f->prompt = texts > 1 ? std::string_view(f->prompt_buf) : first;
  return true;
}

bool ParseMessage(value v, LineFields* f) {
  object o;
  if (v.get_object().get(o)) return true;
  f->has_message = true;
  for (auto field : o) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return false;
    if (key == "usage") {
      if (!ParseUsage(field.value(), f)) return false;
    } else if (key == "id") {
      if (!ReadNonEmpty(field.value(), &f->msg_id)) f->bad = "message.id is not a non-empty string";
    } else if (key == "model") {
      if (!ReadNonEmpty(field.value(), &f->model))
        f->bad = "message.model is not a non-empty string";
    } else if (key == "content") {
      if (!CheckContent(field.value(), f)) return false;
    } else if (key == "role") {
      if (field.value().get_string().get(f->role)) f->role = {};
    }
  }
  return true;
}

// Returns false when the line is not well-formed JSON.
bool ParseTop(object o, LineFields* f) {
  for (auto field : o) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return false;
    if (key == "message") {
      if (!ParseMessage(field.value(), f)) return false;
    } else if (key == "type") {
      if (field.value().get_string().get(f->type)) f->type = {};
    } else if (key == "isMeta") {
      bool b;
      if (!field.value().get_bool().get(b)) f->is_meta = b;
    } else if (key == "requestId") {
      if (!ReadNonEmpty(field.value(), &f->req_id)) f->bad = "requestId is not a non-empty string";
    } else if (key == "timestamp") {
      if (field.value().get_string().get(f->timestamp)) f->bad = "timestamp is not a string";
    } else if (key == "version") {
      std::string_view ver;
      if (field.value().get_string().get(ver) || !IsVersion(ver)) f->bad = "version is not N.N.N";
    } else if (key == "cwd") {
      std::string_view cwd;
      if (field.value().get_string().get(cwd)) f->bad = "cwd is not a string";
    } else if (key == "sessionId") {
      if (!ReadNonEmpty(field.value(), &f->session)) f->bad = "sessionId is not a non-empty string";
    } else if (key == "isSidechain") {
      bool b;
      if (!field.value().get_bool().get(b)) f->sidechain = b;
    } else if (key == "isApiErrorMessage") {
      if (field.value().get_bool().get(f->api_error)) f->bad = "isApiErrorMessage is not a boolean";
    } else if (key == "costUSD") {
      double d;
      if (field.value().get_double().get(d)) {
        f->bad = "costUSD is not a number";
      } else {
        f->cost_nanos = static_cast<int64_t>(std::llround(d * 1e9));
      }
    }
  }
  return true;
}

class OnDemandLineParser final : public LineParser {
 public:
  // Spelled out: GCC gives implicit members no `#pragma GCC target`.
  OnDemandLineParser() {}
  ~OnDemandLineParser() override {}
  bool Parse(const char* p, size_t len, size_t cap, LineFields* f) override {
    simdjson::ondemand::document doc;
    object top;
    return !parser_.iterate(p, len, cap).get(doc) && !doc.get_object().get(top) &&
           ParseTop(top, f) && doc.current_location().error() != simdjson::SUCCESS;
  }

 private:
  simdjson::ondemand::parser parser_;
};
