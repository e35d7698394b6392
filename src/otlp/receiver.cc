// Coding agents' telemetry -> burnrate events (docs/otlp.md has the
// tables): Claude Code's metrics and logs, Codex CLI's logs, and GenAI
// semantic-convention spans (GitHub Copilot CLI's).
//
// Metrics: claude_code.token.usage points become usage events carrying one
// token kind each (attribute `type`), claude_code.cost.usage points usage
// events carrying only cost; both with requests = 0, since a metric point is
// not a request. Lines, commits, pull requests and edit decisions become
// outcome events. active_time and session.count are acknowledged and not
// counted (the engine has no place for them). Other names are ignored.
//
// Logs: claude_code.api_request records become one usage event each (all
// token kinds, cost_usd, requests = 1), id "otlp-req:<request_id>";
// claude_code.user_prompt records become a zero-token event that carries
// the prompt length for detection, and the prompt's features when the
// record has its text (OTEL_LOG_USER_PROMPTS=1) and features are on.
//
// No double count: Claude Code can send the same usage twice, as token and
// cost metrics and as api_request log records. Per session, the first
// usage signal burnrate sees decides the source for the rest of the
// session: if it was an api_request record, the session's token and cost
// metric points are dropped (counted in deferred_to_logs); if it was a
// metric point, later api_request records of that session still count as
// requests but carry no tokens or cost. Either way each token is counted
// once, whatever the order of arrival.
//
// Codex CLI: the codex.sse_event record of kind response.completed that
// carries token counts becomes one usage event whose id is the one Codex's
// rollout reader gives the same response (model/request_key.h), so a
// request that arrives both from the logs and over OTLP counts once. Codex
// sends no token metrics, so the Claude Code rule has nothing to decide.
//
// Spans: a GenAI inference span (gen_ai.operation.name chat,
// text_completion, generate_content or embeddings) with gen_ai.usage.*
// becomes one usage event, id "otlp-span:<traceId>:<spanId>". invoke_agent
// spans repeat their children's usage and are not counted, nor are the
// gen_ai.client.* token metrics sent beside the spans (the spans are the
// per-request source; counting both would count twice).
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <unordered_map>

#include "common/hash.h"
#include "common/time_util.h"
#include "model/request_key.h"
#include "otlp/cumulative.h"
#include "otlp/otlp.h"

namespace burnrate::otlp {

struct Converted::Undo {
  std::vector<CumulativeTracker::Change> changes;
  std::vector<std::pair<uint64_t, uint8_t>> sessions;  // decisions made by this body
};

namespace {

enum class UsageSource : uint8_t { kMetrics, kLogs };

constexpr int64_t kMaxPointTokens = 10'000'000'000;  // one metric point (an export interval)
constexpr int64_t kMaxPointUsd = 1'000'000;
constexpr double kMaxRequestTokens = 50'000'000;  // one api_request, as for native events
constexpr double kMaxRequestUsd = 10'000;
// The prompt text Claude Code (without OTEL_LOG_USER_PROMPTS) and Codex
// (without log_user_prompt) send instead of the prompt.
bool Redacted(std::string_view text) { return text == "<REDACTED>" || text == "[REDACTED]"; }

std::string Hex(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// Looks a key up on the point/record first, then on the resource.
struct Scope {
  const Attrs& own;
  const Attrs& resource;
  const std::string* Get(std::string_view k) const {
    const std::string* v = FindAttr(own, k);
    return v ? v : FindAttr(resource, k);
  }
  std::string Str(std::string_view k) const {
    const std::string* v = Get(k);
    return v ? *v : std::string();
  }
  std::string First(std::initializer_list<std::string_view> keys) const {
    for (auto k : keys)
      if (const std::string* v = Get(k); v && !v->empty()) return *v;
    return {};
  }
};

// Fills identity fields; false (with a reject) when no user is named.
bool FillIdentity(const Scope& s, const ReceiverOptions& o, model::Event* e, Converted* out) {
  e->user =
      s.First({"user.email", "user.account_uuid", "user.account_id", "user.id", "enduser.id"});
  if (e->user.empty()) {
    out->Reject(
        {"no user: set one of user.email, user.account_uuid, user.account_id, user.id "
         "(e.g. OTEL_RESOURCE_ATTRIBUTES=user.email=...)",
         "user.email"});
    return false;
  }
  e->team = s.First({"team.id", "team"});
  if (e->team.empty()) e->team = o.default_team;
  e->org = s.First({"organization.id", "org.id"});
  e->project = s.First({"project.id", "project"});
  e->session = s.First({"session.id", "conversation.id", "gen_ai.conversation.id"});
  e->client = s.First({"host.name", "terminal.type"});
  e->source = "otlp";
  return true;
}

// Name and every attribute, sorted by key (then value) so that order of
// arrival does not matter. Sorts pointers: a point may carry 80k attributes.
std::string SeriesKeyText(const std::string& name, const Attrs& resource, const Attrs& own) {
  std::string k = name;
  std::vector<const Attrs::value_type*> sorted;
  for (const auto* set : {&resource, &own}) {
    sorted.clear();
    for (const auto& kv : *set) sorted.push_back(&kv);
    std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) { return *a < *b; });
    k += '\x1e';
    for (const auto* kv : sorted) {
      k += kv->first;
      k += '\x1f';
      k += kv->second;
      k += '\x1f';
    }
  }
  return k;
}

bool ParseDouble(const std::string* s, double* out) {
  if (s == nullptr || s->empty()) return false;
  char* end = nullptr;
  double d = std::strtod(s->c_str(), &end);
  if (end != s->c_str() + s->size() || !std::isfinite(d)) return false;
  *out = d;
  return true;
}

std::string DoubleText(double d) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, r.ptr);
}

// "resourceLogs[0]....attributes[3].value (input_tokens) intValue must..."
// -> its first word, the JSON path.
std::string PathOf(const std::string& error) { return error.substr(0, error.find(' ')); }

// The attribute `key` as a number in [lo, hi]; absent leaves *out as it is.
// False, with a reject naming the key and the value, when it is there but
// is not a number or is out of range: never counted as 0.
bool NumberAttr(const Scope& s, const char* key, double lo, double hi, double* out,
                Converted* conv) {
  const std::string* v = s.Get(key);
  if (v == nullptr) return true;
  double d = 0;
  if (!ParseDouble(v, &d) || d < lo || d > hi) {
    std::string shown = v->size() > 40 ? v->substr(0, 40) + "..." : *v;
    conv->Reject({fmt::format("{} must be a number between {} and {}, got \"{}\"", key,
                              DoubleText(lo), DoubleText(hi), shown),
                  key});
    return false;
  }
  *out = d;
  return true;
}

const char* OutcomeKind(const std::string& metric, const Scope& s) {
  if (metric == "claude_code.commit.count") return "commit";
  if (metric == "claude_code.pull_request.count") return "pull_request";
  if (metric == "claude_code.lines_of_code.count") {
    std::string t = s.Str("type");
    return t == "added" ? "lines_added" : t == "removed" ? "lines_removed" : nullptr;
  }
  if (metric == "claude_code.code_edit_tool.decision") {
    std::string d = s.Str("decision");
    return d == "accept" ? "edit_accepted" : d == "reject" ? "edit_rejected" : nullptr;
  }
  return nullptr;
}

}  // namespace

struct Receiver::Impl {
  ReceiverOptions opts;
  mutable std::mutex mu;  // guards everything below
  CumulativeTracker cumulative;
  std::unordered_map<uint64_t, UsageSource> session_source;  // key: hash of user + session
  ReceiverStats stats;
  std::unique_ptr<StateStore> store;  // set once by AttachStore, before use

  explicit Impl(ReceiverOptions o) : opts(std::move(o)), cumulative(opts.max_series) {}

  static uint64_t SessionKey(const model::Event& e) {
    return Hash64(e.user + '\x1f' + e.session, 0x5e55);
  }

  // The source that owns this session's usage; the first caller decides.
  UsageSource SourceFor(const model::Event& e, UsageSource mine, Converted* out) {
    if (session_source.size() >= opts.max_sessions) session_source.clear();
    uint64_t key = SessionKey(e);
    auto [it, inserted] = session_source.try_emplace(key, mine);
    if (inserted) out->undo->sessions.emplace_back(key, uint8_t(mine));
    return it->second;
  }

  // Every check that can reject a point runs before anything is recorded
  // (session source, cumulative state, an event id), so that a corrected
  // retry of a rejected point counts.
  void MetricPoint(const ResourceMetrics& rm, const MetricData& m, const NumberPoint& p,
                   Converted* out) {
    Scope s{p.attrs, rm.resource};
    bool tokens = m.name == "claude_code.token.usage", cost = m.name == "claude_code.cost.usage";
    const char* kind = OutcomeKind(m.name, s);
    if (!tokens && !cost && kind == nullptr) {
      out->ignored++;
      return;
    }
    if (const std::string& bad = !rm.error.empty() ? rm.error : p.error; !bad.empty())
      return out->Reject({m.name + ": " + bad, PathOf(bad)});
    model::Event e;
    if (!FillIdentity(s, opts, &e, out)) return;
    if (p.time_ns == 0) return out->Reject({m.name + ": timeUnixNano must be set", "timeUnixNano"});
    std::string token_type = s.Str("type");
    if (tokens && token_type != "input" && token_type != "output" && token_type != "cacheRead" &&
        token_type != "cacheCreation") {
      return out->Reject(
          {"claude_code.token.usage: type must be input, output, cacheRead or cacheCreation",
           "type"});
    }
    // Counters only grow: a negative count or cost is a broken exporter.
    if (p.is_int ? p.as_int < 0 : p.as_double < 0) {
      return out->Reject({m.name + ": value must not be negative, got " +
                              (p.is_int ? std::to_string(p.as_int) : DoubleText(p.as_double)),
                          p.is_int ? "asInt" : "asDouble"});
    }
    // Delta window and amount, per temporality.
    std::string key_text = SeriesKeyText(m.name, rm.resource, p.attrs);
    uint64_t series = Hash64(key_text, 0xc0);
    bool cumulative_sum = m.is_sum && m.temporality == Temporality::kCumulative;
    Delta d{Delta::Kind::kFirst, p.start_ns, p.time_ns, PointUnits(p)};
    if (cumulative_sum) d = cumulative.Peek(series, p);
    // Ceilings against broken exporters (a point covers one export interval).
    int64_t amount = p.is_int ? d.units : std::llround(double(d.units) / 1e9);
    if ((tokens && amount > kMaxPointTokens) ||
        (cost && (p.is_int ? d.units : d.units / 1'000'000'000) > kMaxPointUsd)) {
      return out->Reject({m.name + ": value is beyond the per-point ceiling (" +
                              std::to_string(tokens ? kMaxPointTokens : kMaxPointUsd) + ")",
                          tokens ? "asInt" : "asDouble"});
    }
    if ((tokens || cost) && SourceFor(e, UsageSource::kMetrics, out) == UsageSource::kLogs) {
      out->deferred_to_logs++;
      return;
    }
    if (cumulative_sum) {
      cumulative.Commit(series, p, d, &out->undo->changes);
      if (d.kind == Delta::Kind::kReset) out->resets++;
    }
    if (d.units <= 0) {
      out->unchanged++;
      return;
    }
    e.id = "otlp:" +
           Hex(Hash64(key_text + '\x1e' + std::to_string(d.from_ns) + '-' + std::to_string(d.to_ns),
                      0x1d));
    e.ts = TimeMs(d.to_ns / 1'000'000);
    if (tokens || cost) {
      e.type = model::EventType::kUsage;
      e.model = s.First({"model"});
      if (e.model.empty()) e.model = "unknown";
      e.requests = 0;
      e.cost_nanos = 0;
      if (cost) e.cost_nanos = p.is_int ? d.units * 1'000'000'000 : d.units;
      if (token_type == "input") e.tokens.input = amount;
      if (token_type == "output") e.tokens.output = amount;
      if (token_type == "cacheRead") e.tokens.cache_read = amount;
      if (token_type == "cacheCreation") e.tokens.cache_write = amount;
    } else {
      e.type = model::EventType::kOutcome;
      e.outcome_kind = kind;
      e.outcome_value = p.is_int ? double(d.units) : double(d.units) / 1e9;
    }
    out->events.push_back(std::move(e));
  }

  // Fills the usage of an api_request record; false (with a reject, and
  // nothing recorded) when a value is missing its kind or out of range.
  bool ApiRequest(const Scope& s, model::Event& e, TimeMs ts, Converted* out) {
    model::TokenCounts t;
    struct Kind {
      const char* key;
      int64_t* into;
    } kinds[] = {{"input_tokens", &t.input},
                 {"output_tokens", &t.output},
                 {"cache_read_tokens", &t.cache_read},
                 {"cache_creation_tokens", &t.cache_write}};
    for (const Kind& k : kinds) {
      double d = 0;
      if (!NumberAttr(s, k.key, 0, kMaxRequestTokens, &d, out)) return false;
      *k.into = std::llround(d);
    }
    double usd = -1;
    if (!NumberAttr(s, "cost_usd", 0, kMaxRequestUsd, &usd, out)) return false;
    e.type = model::EventType::kUsage;
    e.model = s.First({"model"});
    if (e.model.empty()) e.model = "unknown";
    std::string rid = s.First({"request_id", "request.id"});
    if (SourceFor(e, UsageSource::kLogs, out) == UsageSource::kLogs) {
      e.tokens = t;
      if (usd >= 0) e.cost_nanos = std::llround(usd * 1e9);
    } else {
      e.cost_nanos = 0;  // the session's metrics carry its tokens and cost
      out->deferred_to_logs++;
    }
    e.requests = 1;
    e.id = !rid.empty()
               ? "otlp-req:" + rid
               : "otlp-req:" +
                     Hex(Hash64(e.user + '\x1f' + e.session + '\x1f' + std::to_string(ts) + '\x1f' +
                                    e.model + '\x1f' + std::to_string(e.tokens.Total()),
                                0x2e));
    return true;
  }

  // Fills the usage of a Codex response.completed record; false (with a
  // reject) when a count is not a number or out of range.
  bool CodexResponse(const Scope& s, model::Event& e, Converted* out) {
    model::CodexUsage u;
    struct Kind {
      const char* key;
      int64_t* into;
    } kinds[] = {{"input_token_count", &u.input},
                 {"cached_token_count", &u.cached},
                 {"cache_write_token_count", &u.cache_write},
                 {"output_token_count", &u.output},
                 {"reasoning_token_count", &u.reasoning}};
    for (const Kind& k : kinds) {
      double d = 0;
      if (!NumberAttr(s, k.key, 0, kMaxRequestTokens, &d, out)) return false;
      *k.into = std::llround(d);
    }
    // As the rollout reader maps them (codex_reader.cc): cached and cache
    // write are part of input, reasoning is part of output.
    e.tokens.cache_read = u.cached;
    e.tokens.cache_write = u.cache_write;
    e.tokens.input = std::max<int64_t>(0, u.input - u.cached - u.cache_write);
    e.tokens.output = u.output;
    e.type = model::EventType::kUsage;
    e.model = s.First({"model", "slug"});
    if (e.model.empty()) e.model = "unknown";
    e.source = "codex";
    e.requests = 1;
    e.id = !e.session.empty()
               ? model::CodexEventId(model::CodexRequestKey(e.session, u))
               : "otlp-cx:" + Hex(Hash64(e.user + '\x1f' + std::to_string(e.ts) + '\x1f' + e.model +
                                             '\x1f' + std::to_string(e.tokens.Total()),
                                         0x4c));
    return true;
  }

  // The name a log record goes by: the event.name attribute (Codex puts its
  // source location in eventName), else eventName, else a string body.
  static std::string RecordName(const Scope& s, const LogRecord& r) {
    std::string name = s.Str("event.name");
    if (name.empty()) name = r.event_name;
    if (name.empty()) name = r.body;
    return name;
  }

  void Record(const ResourceLogs& rl, const LogRecord& r, Converted* out) {
    Scope s{r.attrs, rl.resource};
    std::string name = RecordName(s, r);
    bool codex = name.rfind("codex.", 0) == 0;
    if (codex) {
      name = name.substr(6);
      // Only the completed response carries usage; Codex sends the kind
      // twice, once without counts.
      if (name == "sse_event" &&
          (s.Str("event.kind") != "response.completed" || s.Get("input_token_count") == nullptr)) {
        name.clear();
      }
    } else if (name.rfind("claude_code.", 0) == 0) {
      name = name.substr(12);
    }
    bool known = codex ? name == "sse_event" || name == "user_prompt"
                       : name == "api_request" || name == "user_prompt";
    if (!known) {
      out->ignored++;
      return;
    }
    model::Event e;
    if (const std::string& bad = !rl.error.empty() ? rl.error : r.error; !bad.empty())
      return out->Reject({name + ": " + bad, PathOf(bad)});
    if (!FillIdentity(s, opts, &e, out)) return;
    TimeMs ts = TimeMs(r.time_ns / 1'000'000);
    if (ts == 0) {
      if (auto t = ParseRfc3339(s.Str("event.timestamp")); t.ok()) ts = *t;
    }
    if (ts == 0) return out->Reject({name + ": record has no time", "timeUnixNano"});
    e.ts = ts;
    if (name == "sse_event") {
      if (!CodexResponse(s, e, out)) return;
    } else if (name == "api_request") {
      if (!ApiRequest(s, e, ts, out)) return;
    } else {
      double len = 0;
      if (!NumberAttr(s, "prompt_length", 0, 4e9, &len, out)) return;
      e.type = model::EventType::kUsage;
      e.model = "(prompt)";
      e.requests = 0;
      e.cost_nanos = 0;
      const std::string* text = s.Get("prompt");
      if (opts.prompt_features && text && !text->empty() && !Redacted(*text))
        e.prompt = opts.prompt_features(*text);
      e.prompt.present = true;
      if (len > 0) e.prompt.length = uint32_t(len);  // the client's count wins
      std::string seq = s.First({"prompt.id", "event.sequence"});
      e.id = "otlp-prompt:" + Hex(Hash64(e.user + '\x1f' + e.session + '\x1f' +
                                             std::to_string(r.time_ns) + '\x1f' + seq,
                                         0x3f));
    }
    out->events.push_back(std::move(e));
  }

  void SpanRecord(const ResourceSpans& rs, const Span& sp, Converted* out) {
    Scope s{sp.attrs, rs.resource};
    std::string op = s.Str("gen_ai.operation.name");
    bool inference =
        op == "chat" || op == "text_completion" || op == "generate_content" || op == "embeddings";
    if (!inference ||
        (!s.Get("gen_ai.usage.input_tokens") && !s.Get("gen_ai.usage.output_tokens"))) {
      out->ignored++;  // invoke_agent, execute_tool, ...: no usage of their own
      return;
    }
    std::string what = "span " + (sp.name.empty() ? op : sp.name);
    if (const std::string& bad = !rs.error.empty() ? rs.error : sp.error; !bad.empty())
      return out->Reject({what + ": " + bad, PathOf(bad)});
    model::Event e;
    if (!FillIdentity(s, opts, &e, out)) return;
    uint64_t ns = sp.end_ns != 0 ? sp.end_ns : sp.start_ns;
    if (ns == 0) return out->Reject({what + ": endTimeUnixNano must be set", "endTimeUnixNano"});
    e.ts = TimeMs(ns / 1'000'000);
    // GenAI semantic conventions: input_tokens includes the cached and
    // cache-creation tokens, output_tokens the reasoning ones.
    int64_t input = 0, output = 0, cache_read = 0, cache_write = 0, cache_write2 = 0;
    struct Kind {
      const char* key;
      int64_t* into;
    } kinds[] = {{"gen_ai.usage.input_tokens", &input},
                 {"gen_ai.usage.output_tokens", &output},
                 {"gen_ai.usage.cache_read.input_tokens", &cache_read},
                 {"gen_ai.usage.cache_creation.input_tokens", &cache_write},
                 {"gen_ai.usage.cache_write.input_tokens", &cache_write2}};
    for (const Kind& k : kinds) {
      double d = 0;
      if (!NumberAttr(s, k.key, 0, kMaxRequestTokens, &d, out)) return;
      *k.into = std::llround(d);
    }
    if (cache_write == 0) cache_write = cache_write2;
    e.tokens.input = std::max<int64_t>(0, input - cache_read - cache_write);
    e.tokens.output = output;
    e.tokens.cache_read = cache_read;
    e.tokens.cache_write = cache_write;
    e.type = model::EventType::kUsage;
    e.model = s.First({"gen_ai.response.model", "gen_ai.request.model"});
    if (e.model.empty()) e.model = "unknown";
    if (s.Str("service.name") == "github-copilot") e.source = "copilot";
    e.requests = 1;
    e.id = !sp.trace_id.empty() && !sp.span_id.empty()
               ? "otlp-span:" + sp.trace_id + ":" + sp.span_id
               : "otlp-span:" +
                     Hex(Hash64(e.user + '\x1f' + e.session + '\x1f' + std::to_string(ns) + '\x1f' +
                                    e.model + '\x1f' + std::to_string(e.tokens.Total()),
                                0x5a));
    out->events.push_back(std::move(e));
  }
};

Receiver::Receiver(ReceiverOptions opts) : impl_(std::make_unique<Impl>(std::move(opts))) {}
Receiver::~Receiver() = default;

Result<Converted> Receiver::Metrics(std::string_view json_body) {
  BR_ASSIGN_OR_RETURN(std::vector<ResourceMetrics> parsed, ParseMetricsJson(json_body));
  Converted out;
  out.undo = std::make_shared<Converted::Undo>();
  std::lock_guard lock(impl_->mu);
  for (const auto& rm : parsed)
    for (const auto& m : rm.metrics)
      for (const auto& p : m.points) {
        out.points++;
        impl_->MetricPoint(rm, m, p, &out);
      }
  auto& st = impl_->stats;
  st.metric_points += out.points, st.events += int64_t(out.events.size()),
      st.ignored += out.ignored;
  st.deferred_to_logs += out.deferred_to_logs, st.resets += out.resets;
  return out;
}

Result<Converted> Receiver::Logs(std::string_view json_body) {
  BR_ASSIGN_OR_RETURN(std::vector<ResourceLogs> parsed, ParseLogsJson(json_body));
  Converted out;
  out.undo = std::make_shared<Converted::Undo>();
  std::lock_guard lock(impl_->mu);
  for (const auto& rl : parsed)
    for (const auto& r : rl.records) {
      out.points++;
      impl_->Record(rl, r, &out);
    }
  auto& st = impl_->stats;
  st.log_records += out.points, st.events += int64_t(out.events.size()), st.ignored += out.ignored;
  st.deferred_to_logs += out.deferred_to_logs;
  return out;
}

Result<Converted> Receiver::Traces(std::string_view json_body) {
  BR_ASSIGN_OR_RETURN(std::vector<ResourceSpans> parsed, ParseTracesJson(json_body));
  Converted out;
  out.undo = std::make_shared<Converted::Undo>();
  std::lock_guard lock(impl_->mu);
  for (const auto& rs : parsed)
    for (const auto& sp : rs.spans) {
      out.points++;
      impl_->SpanRecord(rs, sp, &out);
    }
  auto& st = impl_->stats;
  st.spans += out.points, st.events += int64_t(out.events.size()), st.ignored += out.ignored;
  return out;
}

Result<Converted> Receiver::Export(Signal signal, std::string_view json_body) {
  switch (signal) {
    case Signal::kMetrics:
      return Metrics(json_body);
    case Signal::kLogs:
      return Logs(json_body);
    case Signal::kTraces:
      return Traces(json_body);
  }
  return Status::InvalidArgument("unknown OTLP signal");
}

std::string_view SignalPath(Signal s) {
  switch (s) {
    case Signal::kMetrics:
      return "/v1/otlp/v1/metrics";
    case Signal::kLogs:
      return "/v1/otlp/v1/logs";
    case Signal::kTraces:
      return "/v1/otlp/v1/traces";
  }
  return "";
}

std::string_view RejectedKey(Signal s) {
  switch (s) {
    case Signal::kMetrics:
      return "rejectedDataPoints";
    case Signal::kLogs:
      return "rejectedLogRecords";
    case Signal::kTraces:
      return "rejectedSpans";
  }
  return "";
}

void Receiver::Rollback(const Converted& c) {
  if (!c.undo) return;
  std::lock_guard lock(impl_->mu);
  impl_->cumulative.Undo(c.undo->changes);
}

Status Receiver::AttachStore(std::unique_ptr<StateStore> store, TimeMs now) {
  std::lock_guard lock(impl_->mu);
  BR_RETURN_IF_ERROR(store->Load(
      now - 8 * kDayMs,
      [&](uint64_t key, const SeriesState& st) {
        impl_->cumulative.Restore(key, {.start_ns = st.start_ns,
                                        .time_ns = st.time_ns,
                                        .units = st.units,
                                        .is_int = st.is_int});
      },
      [&](uint64_t key, uint8_t source) { impl_->session_source[key] = UsageSource(source); }));
  impl_->store = std::move(store);
  return Status::OK();
}

Status Receiver::Persist(const Converted& c, TimeMs now) {
  if (!impl_->store || !c.undo) return Status::OK();
  std::vector<SeriesChange> series;
  series.reserve(c.undo->changes.size());
  for (const CumulativeTracker::Change& ch : c.undo->changes) {
    series.push_back({ch.key, {ch.next.start_ns, ch.next.time_ns, ch.next.units, ch.next.is_int}});
  }
  return impl_->store->Save(series, c.undo->sessions, now);
}

ReceiverStats Receiver::stats() const {
  std::lock_guard lock(impl_->mu);
  ReceiverStats s = impl_->stats;
  s.series = int64_t(impl_->cumulative.size());
  s.log_sessions = int64_t(impl_->session_source.size());
  return s;
}

void Converted::Reject(PointReject r) {
  if (rejected.size() < kMaxRejectsKept) rejected.push_back(std::move(r));
  rejected_total++;
}

Status CheckContentType(std::string_view ct) {
  std::string_view base = ct.substr(0, ct.find(';'));
  while (!base.empty() && base.back() == ' ') base.remove_suffix(1);
  std::string lower(base);
  for (char& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "application/json") return Status::OK();
  if (lower.find("protobuf") != std::string::npos) {
    return Status::Unsupported(
        "OTLP/HTTP protobuf is not supported; send OTLP/HTTP JSON "
        "(OTEL_EXPORTER_OTLP_PROTOCOL=http/json)");
  }
  return Status::Unsupported("Content-Type must be application/json (OTLP/HTTP JSON), got '" +
                             std::string(ct) + "'");
}

}  // namespace burnrate::otlp
