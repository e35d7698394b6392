// Line-by-line NDJSON parsing with simdjson.
//
// Each line is copied into one reused padded buffer (simdjson needs padding
// past the end, and a line inside a larger body has none guaranteed), parsed
// by the DOM parser (its kernels are picked at run time, so AVX2 is used
// without building for it; the on-demand API picks at compile time and would
// fall back to the slow generic kernel on a baseline x86-64 build), and
// walked once field by field. simdjson validates UTF-8 for the whole line,
// so string checks here are about lengths and shapes only.
//
// Memory is bounded whatever the body holds. Nothing is reserved per line
// (a body of two-byte bad lines once reserved a 440-byte event slot for
// each, 170 bytes of memory per body byte); events grow only with good
// lines; rejects keep the first few in detail and count the rest by kind;
// error messages quote at most a short prefix of what the client sent. A
// body fed in pieces keeps only its current partial line, and a line past
// max_line is skipped to its end without being kept.
#include "ingest/ndjson_parser.h"

#include <simdjson.h>

#include <algorithm>
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
  RejectKind kind = RejectKind::kInvalidValue;
};

// Client text quoted in an error (a key) is cut short: the answer must stay
// small whatever the body holds.
std::string Quote(std::string_view s) {
  constexpr size_t kMax = 64;
  return s.size() <= kMax ? std::string(s) : std::string(s.substr(0, kMax)) + "...";
}

// The latest time FormatRfc3339 can show (9999-12-31T23:59:59.999Z).
constexpr TimeMs kMaxFormattableMs = 253'402'300'799'999;

std::string ShowTime(TimeMs t) {
  return t >= 0 && t <= kMaxFormattableMs ? FormatRfc3339(t) : std::to_string(t) + " ms";
}

bool IsWord(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
      return false;
  }
  return true;
}

bool ParseHex64(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 16) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out, 16);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// The fields of an event line; each has a bit in Line's `seen` mask.
enum Field {
  kId,
  kType,
  kTs,
  kUser,
  kTeam,
  kOrg,
  kProject,
  kSource,
  kSession,
  kClient,
  kModel,
  kInputTokens,
  kOutputTokens,
  kCacheReadTokens,
  kCacheWriteTokens,
  kCacheWrite1hTokens,
  kCostUsd,
  kPrompt,
  kKind,
  kValue,
};
static_assert(kValue < 32);

// Compares with literals, which the compiler turns into a length check and
// a few word compares (a loop over a table calls memcmp for each).
int FieldIndex(std::string_view k) {
  if (k == "id") return kId;
  if (k == "type") return kType;
  if (k == "ts") return kTs;
  if (k == "user") return kUser;
  if (k == "team") return kTeam;
  if (k == "org") return kOrg;
  if (k == "project") return kProject;
  if (k == "source") return kSource;
  if (k == "session") return kSession;
  if (k == "client") return kClient;
  if (k == "model") return kModel;
  if (k == "input_tokens") return kInputTokens;
  if (k == "output_tokens") return kOutputTokens;
  if (k == "cache_read_tokens") return kCacheReadTokens;
  if (k == "cache_write_tokens") return kCacheWriteTokens;
  if (k == "cache_write_1h_tokens") return kCacheWrite1hTokens;
  if (k == "cost_usd") return kCostUsd;
  if (k == "prompt") return kPrompt;
  if (k == "kind") return kKind;
  if (k == "value") return kValue;
  return -1;
}

}  // namespace

const char* RejectKindName(RejectKind k) {
  switch (k) {
    case RejectKind::kInvalidJson:
      return "invalid_json";
    case RejectKind::kNotObject:
      return "not_an_object";
    case RejectKind::kLineTooLong:
      return "line_too_long";
    case RejectKind::kDuplicateKey:
      return "duplicate_key";
    case RejectKind::kMissingField:
      return "missing_field";
    case RejectKind::kWrongType:
      return "wrong_type";
    case RejectKind::kOutOfRange:
      return "out_of_range";
    case RejectKind::kInvalidValue:
      return "invalid_value";
    case RejectKind::kCount:
      break;
  }
  return "invalid_value";
}

void Rejects::Add(Reject r) {
  ++total;
  ++by_kind[std::min(size_t(r.kind), kRejectKinds - 1)];
  if (details.size() < max_details) details.push_back(std::move(r));
}

struct NdjsonParser::Impl {
  Limits limits;
  PromptFeatureFn prompt_features;
  simdjson::dom::parser parser;
  std::string buf;  // the current line plus SIMDJSON_PADDING bytes

  // Feed state: the batch being built and the line that spans pieces.
  ParsedBatch batch;
  // Events in the last batch or part handed out: the next one's vector is
  // reserved for as many, instead of growing by doubling (a move of every
  // event parsed so far at each step). Clients send bodies of one size.
  // At most kMaxReserve (the ingestor's part size), so one huge body does
  // not make every later one reserve as much.
  static constexpr size_t kMaxReserve = 16'384;
  size_t reserve_hint = 0;
  TimeMs now = 0;
  int64_t line_no = 0;
  std::string carry;      // the start of a line whose end has not come yet
  bool too_long = false;  // the carried line passed max_line; skip to its end

  // A key given twice in one object rejects the line: JSON readers differ
  // on which one wins, so a line could be read one way here and another
  // way elsewhere. Known fields are checked with a bit each as they are
  // read; the few unknown keys are sorted (usually none or one).
  std::vector<std::string_view> unknown_keys;  // scratch of Line
  std::vector<std::string_view> prompt_keys;   // scratch of Prompt

  static bool DuplicateIn(std::vector<std::string_view>& keys, std::string_view* dup) {
    if (keys.size() < 2) return false;
    std::sort(keys.begin(), keys.end());
    auto it = std::adjacent_find(keys.begin(), keys.end());
    if (it == keys.end()) return false;
    *dup = *it;
    return true;
  }

  static bool DuplicateKeyError(std::string_view key, std::string_view prefix, LineError* err) {
    std::string field = std::string(prefix) + Quote(key);
    *err = {"duplicate key " + field + ": each field may appear only once", field,
            RejectKind::kDuplicateKey};
    return false;
  }

  // Each helper returns false and fills err on a bad value.
  bool String(value v, std::string_view field, size_t max, std::string* out, LineError* err) {
    std::string_view s;
    if (v.get_string().get(s)) {
      *err = {std::string(field) + " must be a string", std::string(field), RejectKind::kWrongType};
      return false;
    }
    if (s.size() > max) {
      *err = {std::string(field) + " is longer than " + std::to_string(max) + " bytes",
              std::string(field), RejectKind::kOutOfRange};
      return false;
    }
    out->assign(s);
    return true;
  }

  bool Tokens(value v, std::string_view field, int64_t* out, LineError* err) {
    auto bad = [&](const std::string& why, RejectKind kind) {
      *err = {std::string(field) + " " + why, std::string(field), kind};
      return false;
    };
    auto ceiling = [&] { return "exceeds the ceiling of " + std::to_string(limits.max_tokens); };
    switch (v.type()) {
      case element_type::INT64: {
        int64_t n = int64_t(v);
        if (n < 0) return bad("must not be negative", RejectKind::kOutOfRange);
        if (n > limits.max_tokens) return bad(ceiling(), RejectKind::kOutOfRange);
        *out = n;
        return true;
      }
      case element_type::UINT64:
        return bad(ceiling(), RejectKind::kOutOfRange);
      case element_type::DOUBLE: {
        double d = double(v);
        if (d != std::floor(d))
          return bad("must be an integer, not a fraction", RejectKind::kWrongType);
        if (d < 0) return bad("must not be negative", RejectKind::kOutOfRange);
        if (d > double(limits.max_tokens)) return bad(ceiling(), RejectKind::kOutOfRange);
        *out = int64_t(d);
        return true;
      }
      default:
        return bad("must be a non-negative integer", RejectKind::kWrongType);
    }
  }

  // ts must lie in [now - retention, now + max_future]. The error names the
  // allowed range; a value no calendar can show (INT64_MIN once printed as
  // the year 1535) is quoted as the number it is.
  bool Timestamp(value v, TimeMs* out, LineError* err) {
    const TimeMs lo = now - limits.retention_ms, hi = now + limits.max_future_ms;
    auto out_of_range = [&](const std::string& got, const char* why) {
      *err = {"ts " + got + why + "; allowed: " + FormatRfc3339(lo) +
                  " (the start of the raw retention period) to " + FormatRfc3339(hi) + " (" +
                  std::to_string(limits.max_future_ms / kMinuteMs) +
                  " minutes ahead of the server clock)",
              "ts", RejectKind::kOutOfRange};
      return false;
    };
    if (v.type() == element_type::STRING) {
      auto r = ParseRfc3339(std::string_view(v));
      if (!r.ok()) {
        *err = {"ts must be RFC 3339 (2026-03-21T14:03:04Z) or epoch milliseconds", "ts",
                RejectKind::kWrongType};
        return false;
      }
      *out = *r;
    } else if (v.type() == element_type::INT64) {
      *out = int64_t(v);
    } else if (v.type() == element_type::UINT64) {
      return out_of_range(std::to_string(uint64_t(v)) + " ms", " is too far in the future");
    } else {
      *err = {"ts must be an RFC 3339 string or an integer of epoch milliseconds", "ts",
              RejectKind::kWrongType};
      return false;
    }
    if (*out > hi) return out_of_range(ShowTime(*out), " is too far in the future");
    if (*out < lo) return out_of_range(ShowTime(*out), " is older than the retention period");
    return true;
  }

  bool Prompt(value v, model::PromptFeatures* p, LineError* err) {
    simdjson::dom::object obj;
    if (v.get_object().get(obj)) {
      *err = {"prompt must be an object: {\"text\": ...} or precomputed features", "prompt",
              RejectKind::kWrongType};
      return false;
    }
    // Few keys, and prompts are not on every line: all of them are sorted.
    prompt_keys.clear();
    for (auto [key, fv] : obj) prompt_keys.push_back(key);
    std::string_view dup;
    if (DuplicateIn(prompt_keys, &dup)) return DuplicateKeyError(dup, "prompt.", err);
    auto bad = [&](std::string field, std::string why, RejectKind kind) {
      *err = {field + " " + why, field, kind};
      return false;
    };
    for (auto [key, fv] : obj) {
      if (key == "text") {
        std::string_view text;
        if (fv.get_string().get(text))
          return bad("prompt.text", "must be a string", RejectKind::kWrongType);
        if (text.size() > limits.max_prompt) {
          return bad("prompt.text",
                     "is longer than " + std::to_string(limits.max_prompt) + " bytes",
                     RejectKind::kOutOfRange);
        }
        if (prompt_features) {
          *p = prompt_features(text);
        } else {
          p->length = uint32_t(text.size());
        }
        p->present = true;
      } else if (key == "length") {
        int64_t n;
        if (fv.get_int64().get(n) || n < 0) {
          return bad("prompt.length", "must be a non-negative integer", RejectKind::kInvalidValue);
        }
        p->length = uint32_t(std::min<int64_t>(n, UINT32_MAX));
        p->present = true;
      } else if (key == "compress_ratio") {
        double d;
        if (fv.get_double().get(d) || d < 0 || d > 10) {
          return bad("prompt.compress_ratio", "must be a number in [0, 10]",
                     RejectKind::kInvalidValue);
        }
        p->compress_ratio = float(d);
        p->present = true;
      } else if (key == "simhash" || key == "exact_hash") {
        std::string_view hex;
        uint64_t h;
        std::string f = "prompt." + std::string(key);
        if (fv.get_string().get(hex) || !ParseHex64(hex, &h)) {
          return bad(f, "must be up to 16 hex digits", RejectKind::kInvalidValue);
        }
        (key == "simhash" ? p->simhash : p->exact_hash) = h;
        p->present = true;
      }
    }
    return true;
  }

  // long: one pass over a line's members in the order simdjson meets them, each
  // case a few lines; split into functions it would pass the event, the error and
  // the seen-field bits through every call on the hottest path of ingest.
  bool Line(std::string_view line, model::Event* e, LineError* err) {
    if (line.size() > limits.max_line) {
      *err = {"line is longer than " + std::to_string(limits.max_line) + " bytes", "",
              RejectKind::kLineTooLong};
      return false;
    }
    buf.assign(line);
    buf.append(simdjson::SIMDJSON_PADDING, '\0');
    element doc;
    if (auto ec = parser.parse(buf.data(), line.size(), false).get(doc)) {
      *err = {std::string("line is not valid JSON: ") + simdjson::error_message(ec), "",
              RejectKind::kInvalidJson};
      return false;
    }
    simdjson::dom::object obj;
    if (doc.get_object().get(obj)) {
      *err = {"line must be a JSON object", "", RejectKind::kNotObject};
      return false;
    }
    // Known fields are told apart by a bit each (a second one is a
    // duplicate at once); unknown keys are checked for duplicates after.
    uint32_t seen = 0;
    unknown_keys.clear();
    std::string type = "usage";
    double cost_usd = -1;
    for (auto [key, v] : obj) {
      int f = FieldIndex(key);
      if (f < 0) {
        unknown_keys.push_back(key);
        continue;
      }
      if (seen & (1u << f)) return DuplicateKeyError(key, "", err);
      seen |= 1u << f;
      bool ok = true;
      switch (Field(f)) {
        case kId:
          ok = String(v, key, limits.max_string, &e->id, err);
          break;
        case kType:
          ok = String(v, key, 16, &type, err);
          break;
        case kTs:
          ok = Timestamp(v, &e->ts, err);
          break;
        case kUser:
          ok = String(v, key, limits.max_string, &e->user, err);
          break;
        case kTeam:
          ok = String(v, key, limits.max_string, &e->team, err);
          break;
        case kOrg:
          ok = String(v, key, limits.max_string, &e->org, err);
          break;
        case kProject:
          ok = String(v, key, limits.max_string, &e->project, err);
          break;
        case kSource:
          ok = String(v, key, limits.max_string, &e->source, err);
          break;
        case kSession:
          ok = String(v, key, limits.max_string, &e->session, err);
          break;
        case kClient:
          ok = String(v, key, limits.max_string, &e->client, err);
          break;
        case kModel:
          ok = String(v, key, limits.max_string, &e->model, err);
          break;
        case kInputTokens:
          ok = Tokens(v, key, &e->tokens.input, err);
          break;
        case kOutputTokens:
          ok = Tokens(v, key, &e->tokens.output, err);
          break;
        case kCacheReadTokens:
          ok = Tokens(v, key, &e->tokens.cache_read, err);
          break;
        case kCacheWriteTokens:
          ok = Tokens(v, key, &e->tokens.cache_write, err);
          break;
        case kCacheWrite1hTokens:
          ok = Tokens(v, key, &e->tokens.cache_write_1h, err);
          break;
        case kCostUsd:
          if (v.get_double().get(cost_usd) || cost_usd < 0 || cost_usd > limits.max_cost_usd ||
              !std::isfinite(cost_usd)) {
            *err = {"cost_usd must be a number between 0 and " +
                        std::to_string(int64_t(limits.max_cost_usd)),
                    "cost_usd", RejectKind::kOutOfRange};
            ok = false;
          }
          break;
        case kPrompt:
          ok = Prompt(v, &e->prompt, err);
          break;
        case kKind:
          ok = String(v, key, 64, &e->outcome_kind, err);
          break;
        case kValue:
          if (v.get_double().get(e->outcome_value) || !std::isfinite(e->outcome_value) ||
              std::fabs(e->outcome_value) > 1e9) {
            *err = {"value must be a number of magnitude at most 1e9", "value",
                    RejectKind::kOutOfRange};
            ok = false;
          }
          break;
      }
      if (!ok) return false;
    }
    std::string_view dup;
    if (DuplicateIn(unknown_keys, &dup)) return DuplicateKeyError(dup, "", err);
    const bool has_id = seen & (1u << kId), has_user = seen & (1u << kUser),
               has_model = seen & (1u << kModel), has_kind = seen & (1u << kKind),
               has_ts = seen & (1u << kTs);
    auto missing = [&](const char* f) {
      *err = {std::string(f) + " is required", f, RejectKind::kMissingField};
      return false;
    };
    if (!has_id || e->id.empty()) return missing("id");
    if (!has_user || e->user.empty()) return missing("user");
    if (!has_ts) e->ts = now;
    if (type == "outcome") {
      e->type = model::EventType::kOutcome;
      if (!has_kind) return missing("kind");
      if (!IsWord(e->outcome_kind)) {
        *err = {"kind must be one lower-case word (letters, digits, _ - .)", "kind",
                RejectKind::kInvalidValue};
        return false;
      }
    } else if (type == "usage") {
      if (!has_model || e->model.empty()) return missing("model");
      if (e->tokens.cache_write_1h > e->tokens.cache_write) {
        *err = {"cache_write_1h_tokens must not exceed cache_write_tokens", "cache_write_1h_tokens",
                RejectKind::kInvalidValue};
        return false;
      }
      if (cost_usd >= 0) e->cost_nanos = int64_t(std::llround(cost_usd * 1e9));
    } else {
      *err = {"type must be usage or outcome", "type", RejectKind::kInvalidValue};
      return false;
    }
    return true;
  }

  // One whole line (without its '\n'), numbered next.
  void EndLine(std::string_view line) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) return;
    model::Event& e = batch.events.emplace_back();  // parsed in place
    LineError err;
    if (Line(line, &e, &err)) {
      e.received = now;
      batch.lines.push_back(line_no);
    } else {
      batch.events.pop_back();
      batch.rejects.Add({line_no, std::move(err.error), std::move(err.field), err.kind});
    }
  }

  // Keeps the start of a line that continues in the next piece; past
  // max_line (plus a '\r') it keeps nothing and remembers to reject it.
  void Carry(std::string_view part) {
    if (too_long) return;
    if (carry.size() + part.size() > limits.max_line + 1) {
      too_long = true;
      carry.clear();
      return;
    }
    carry.append(part);
  }

  void EndCarried() {
    if (too_long) {
      ++line_no;
      batch.rejects.Add({line_no,
                         "line is longer than " + std::to_string(limits.max_line) + " bytes", "",
                         RejectKind::kLineTooLong});
    } else {
      EndLine(carry);
    }
    carry.clear();
    too_long = false;
  }
};

NdjsonParser::NdjsonParser(Limits limits, PromptFeatureFn prompt_features)
    : impl_(std::make_unique<Impl>()) {
  impl_->limits = limits;
  impl_->prompt_features = std::move(prompt_features);
}

NdjsonParser::~NdjsonParser() = default;

void NdjsonParser::Begin(TimeMs now) {
  Impl& m = *impl_;
  m.batch = ParsedBatch();
  m.batch.events.reserve(m.reserve_hint);
  m.batch.rejects.max_details = m.limits.max_reject_details;
  m.now = now;
  m.line_no = 0;
  m.carry.clear();
  m.too_long = false;
}

void NdjsonParser::Feed(std::string_view piece) {
  Impl& m = *impl_;
  while (!piece.empty()) {
    size_t nl = piece.find('\n');
    if (nl == std::string_view::npos) {
      m.Carry(piece);
      return;
    }
    std::string_view part = piece.substr(0, nl);
    piece.remove_prefix(nl + 1);
    if (m.carry.empty() && !m.too_long) {
      m.EndLine(part);
    } else {
      m.Carry(part);
      m.EndCarried();
    }
  }
}

ParsedBatch NdjsonParser::Finish() {
  Impl& m = *impl_;
  if (!m.carry.empty() || m.too_long) m.EndCarried();
  // A huge line once must not pin its buffers in a pooled parser.
  constexpr size_t kKeep = 1 << 20;
  if (m.carry.capacity() > kKeep) std::string().swap(m.carry);
  if (m.buf.capacity() > kKeep) std::string().swap(m.buf);
  m.reserve_hint = std::min(m.batch.events.size(), Impl::kMaxReserve);
  return std::move(m.batch);
}

size_t NdjsonParser::pending_events() const { return impl_->batch.events.size(); }

ParsedBatch NdjsonParser::TakeEvents() {
  ParsedBatch part;
  part.events = std::move(impl_->batch.events);
  part.lines = std::move(impl_->batch.lines);
  impl_->batch.events.clear();
  impl_->batch.lines.clear();
  impl_->reserve_hint = std::min(part.events.size(), Impl::kMaxReserve);
  impl_->batch.events.reserve(impl_->reserve_hint);
  return part;
}

ParsedBatch NdjsonParser::Parse(std::string_view body, TimeMs now) {
  Begin(now);
  Feed(body);
  return Finish();
}

}  // namespace burnrate::ingest
