// The gateway's request path (see gateway.h for the steps).
//
// Why settle after the stream and not per event: the provider's usage is
// cumulative and final only at its end (message_delta, the last chat chunk,
// response.completed). Whatever ends the exchange, the whole answer, a
// client gone, an upstream cut or timeout, OnEnd settles once with what was
// reported so far, so a cut stream is counted for what it cost and a
// reservation never outlives its request.
//
// Why the event id is the Claude Code transcript's when possible: Claude
// Code writes (message.id, requestId) into its transcript, and the log
// reader ids an event "cc-" + a hash of those two. The gateway sees both
// (the body's message id and the answer's request-id header), so it gives
// the same id, and a transcript shipped as well is de-duplicated by the
// store instead of counted twice.
#include "gateway/gateway.h"

#include <strings.h>

#include <charconv>
#include <cmath>
#include <map>
#include <mutex>

#include "claude/claude.h"
#include "common/hash.h"
#include "common/json_writer.h"
#include "gateway/client_request.h"
#include "gateway/event_batcher.h"
#include "gateway/usage_parser.h"
#include "govern/govern.h"
#include "http/http.h"
#include "model/price_book.h"
#include "model/prompt_features.h"

namespace burnrate::gateway {

namespace {

using Steady = std::chrono::steady_clock;

const char* UpstreamName(Api api) {
  return api == Api::kAnthropicMessages ? "anthropic" : "openai";
}

// The provider's own error shape, so that its SDKs and agents show the
// message (Anthropic: {"type":"error","error":{type,message}}; OpenAI:
// {"error":{message,type,param,code}}).
http::Response ProviderError(Api api, int status, std::string_view message,
                             TimeMs retry_after_ms = -1) {
  JsonWriter w;
  w.BeginObject();
  if (api == Api::kAnthropicMessages) {
    const char* type = status == 429   ? "rate_limit_error"
                       : status == 400 ? "invalid_request_error"
                       : status == 401 ? "authentication_error"
                       : status == 403 ? "permission_error"
                       : status == 404 ? "not_found_error"
                       : status == 504 ? "timeout_error"
                                       : "api_error";
    w.Key("type").String("error").Key("error").BeginObject().Key("type").String(type);
    w.Key("message").String(message).EndObject();
  } else {
    const char* type = status == 429                    ? "rate_limit_exceeded"
                       : status == 400 || status == 401 ? "invalid_request_error"
                       : status == 403                  ? "permission_error"
                                                        : "api_error";
    const char* code = status == 401 ? "invalid_api_key" : type;
    w.Key("error").BeginObject().Key("message").String(message).Key("type").String(type);
    w.Key("param").Null().Key("code").String(code).EndObject();
  }
  w.EndObject();
  http::Response r = http::Response::Json(w.Take(), status);
  if (retry_after_ms >= 0)
    r.headers.emplace_back("retry-after", std::to_string((retry_after_ms + 999) / 1000));
  return r;
}

// The path and query string as the client sent them (/v1/messages?beta=true,
// as Claude Code calls it): the provider reads its options from the query.
std::string UpstreamTarget(const http::Request& req) {
  if (req.raw_query.empty()) return req.path;
  return req.path + "?" + req.raw_query;
}

std::string FormatDuration(TimeMs ms) {
  int64_t s = (ms + 999) / 1000;
  if (s < 120) return std::to_string(s) + " s";
  if (s < 7200) return std::to_string((s + 59) / 60) + " min";
  if (s < 172800) return std::to_string((s + 3599) / 3600) + " h";
  return std::to_string((s + 86399) / 86400) + " days";
}

// Counters per (upstream, model); models past kMaxModels share "other".
class GatewayMetrics {
 public:
  struct Row {
    int64_t requests = 0, denied = 0, upstream_errors = 0, streams = 0;
    int64_t input = 0, output = 0, cache_read = 0, cache_write = 0;
    double latency_s = 0;  // until the answer ended
  };
  static constexpr size_t kMaxModels = 100;
  // Looks the row up without building a key (no allocation once the row
  // exists): this runs once or twice per request.
  template <class F>
  void Update(const char* upstream, std::string_view model, F f) {
    std::lock_guard lock(mu_);
    auto& models = rows_[upstream[0] == 'a' ? 0 : 1];
    auto it = models.find(model);
    if (it == models.end()) {
      if (models_ >= kMaxModels)
        model = "other";
      else
        ++models_;
      it = models.try_emplace(std::string(model)).first;
    }
    f(it->second);
  }
  void Append(std::string& out) const {
    std::lock_guard lock(mu_);
    struct Col {
      const char* name;
      const char* help;
      const char* type;
      std::function<double(const Row&)> get;
    };
    const Col cols[] = {
        {"burnrate_gateway_requests_total", "Requests forwarded or refused", "counter",
         [](const Row& r) { return double(r.requests); }},
        {"burnrate_gateway_denied_total", "Requests refused by governance (never forwarded)",
         "counter", [](const Row& r) { return double(r.denied); }},
        {"burnrate_gateway_upstream_errors_total", "Upstream failures and 5xx answers", "counter",
         [](const Row& r) { return double(r.upstream_errors); }},
        {"burnrate_gateway_streams_total", "Streamed answers", "counter",
         [](const Row& r) { return double(r.streams); }},
        {"burnrate_gateway_latency_seconds_sum",
         "Forwarded requests' time until their answer ended", "counter",
         [](const Row& r) { return r.latency_s; }},
        {"burnrate_gateway_input_tokens_total", "Uncached input tokens the upstream reported",
         "counter", [](const Row& r) { return double(r.input); }},
        {"burnrate_gateway_output_tokens_total", "Output tokens the upstream reported", "counter",
         [](const Row& r) { return double(r.output); }},
        {"burnrate_gateway_cache_read_tokens_total", "Cache-read tokens the upstream reported",
         "counter", [](const Row& r) { return double(r.cache_read); }},
        {"burnrate_gateway_cache_write_tokens_total", "Cache-write tokens the upstream reported",
         "counter", [](const Row& r) { return double(r.cache_write); }},
    };
    for (const Col& c : cols) {
      out += std::string("# HELP ") + c.name + " " + c.help + "\n# TYPE " + c.name + " " + c.type +
             "\n";
      for (int u = 0; u < 2; ++u) {
        for (const auto& [name, row] : rows_[u]) {
          std::string model;
          // Quotes and backslashes escaped as Prometheus wants.
          JsonWriter::AppendEscaped(model, name);
          out += std::string(c.name) + "{upstream=\"" + (u == 0 ? "anthropic" : "openai") +
                 "\",model=\"" + model + "\"} " + std::to_string(c.get(row)) + "\n";
        }
      }
    }
  }

 private:
  mutable std::mutex mu_;
  // [0] anthropic, [1] openai; by model. Guarded by mu_.
  std::map<std::string, Row, std::less<>> rows_[2];
  size_t models_ = 0;  // guarded by mu_
};

}  // namespace

struct Gateway::Impl : std::enable_shared_from_this<Gateway::Impl> {
  GatewayConfig cfg;
  govern::Governor& governor;
  const model::PriceBook& prices;
  const Clock& clock;
  EventSink sink;
  std::unique_ptr<UpstreamIo> io;
  std::unique_ptr<Upstream> anthropic, openai;
  GatewayMetrics metrics;
  EventBatcher events;

  Impl(GatewayConfig c, govern::Governor& g, const model::PriceBook& p, const Clock& k, EventSink s)
      : cfg(std::move(c)),
        governor(g),
        prices(p),
        clock(k),
        sink(std::move(s)),
        events(sink, size_t(cfg.event_batch_max),
               std::chrono::milliseconds(cfg.event_batch_delay_ms)) {}

  Upstream* For(Api api) const {
    return api == Api::kAnthropicMessages ? anthropic.get() : openai.get();
  }
  const ProviderConfig& Provider(Api api) const {
    return api == Api::kAnthropicMessages ? cfg.anthropic : cfg.openai;
  }

  // The headers sent upstream: the client's own protocol headers, and the
  // provider key in place of the gateway key.
  Headers UpstreamHeaders(Api api, const http::Request& req) const {
    Headers h;
    h.reserve(req.headers.size() + 1);
    // A bring-your-own key goes on as the client sent it.
    const bool own_key = Passthrough(req.caller.key_hash) != nullptr;
    for (const auto& [k, v] : req.headers) {
      if (k == "content-type" || k == "accept" || k.starts_with("anthropic-") ||
          k.starts_with("openai-") || k == "user-agent" || k.starts_with("x-stainless-") ||
          (own_key && (k == "x-api-key" || k == "authorization"))) {
        h.emplace_back(k, v);
      }
    }
    if (own_key) return h;
    const std::string& key = Provider(api).api_key;
    if (!key.empty()) {
      if (api == Api::kAnthropicMessages)
        h.emplace_back("x-api-key", key);
      else
        h.emplace_back("authorization", "Bearer " + key);
    }
    return h;
  }

  const PassthroughKey* Passthrough(std::string_view key_sha256) const {
    if (key_sha256.empty()) return nullptr;
    for (const PassthroughKey& k : cfg.passthrough)
      if (k.key_sha256 == key_sha256) return &k;
    return nullptr;
  }

  int64_t EstimateCostNanos(const std::string& model, const model::TokenCounts& t) const {
    model::Priced p = prices.Current()->Price(model, t);
    if (p.basis != model::CostBasis::kUnpriced) return p.cost_nanos;
    return std::llround(double(t.Total()) * cfg.unpriced_usd_per_mtok *
                        1e3);  // $/Mtok -> nanos/token = *1e3
  }

  void Forward(Api api, http::Request& req, http::Respond respond);
  void Passthrough(Api api, http::Request& req, http::Respond respond);
};

// One forwarded request: the upstream's answer goes to the client as it
// comes; usage is read on the way and settled at the end.
class Exchange final : public UpstreamHandler, public std::enable_shared_from_this<Exchange> {
 public:
  Exchange(std::shared_ptr<Gateway::Impl> gw, Api api, http::Respond respond, ClientRequest creq,
           http::Caller caller, std::string reservation, Steady::time_point start,
           double overhead_ms)
      : gw_(std::move(gw)),
        api_(api),
        respond_(std::move(respond)),
        creq_(std::move(creq)),
        caller_(std::move(caller)),
        reservation_(std::move(reservation)),
        start_(start),
        overhead_ms_(overhead_ms),
        usage_(api, api == Api::kOpenAiChat && !creq_.asked_usage) {}

  void OnHead(UpstreamHead& head) override {
    status_ = head.status;
    request_id_ = std::string(head.Get("request-id"));
    if (request_id_.empty()) request_id_ = std::string(head.Get("x-request-id"));
    std::string_view ct = head.Get("content-type");
    streaming_ = status_ == 200 && ct.find("text/event-stream") != std::string_view::npos;
    Headers pass;
    pass.reserve(head.headers.size() + 1);
    // Moved, not copied: `ct` views the content-type, which stays.
    for (auto& [k, v] : head.headers) {
      if (strncasecmp(k.c_str(), "content-type", 12) != 0 &&
          strncasecmp(k.c_str(), "server", 6) != 0 && strncasecmp(k.c_str(), "date", 4) != 0) {
        pass.emplace_back(std::move(k), std::move(v));
      }
    }
    pass.emplace_back("x-burnrate-overhead-ms", fmt_ms(overhead_ms_));
    if (!streaming_) {
      content_type_ = ct.empty() ? "application/json" : std::string(ct);
      headers_ = std::move(pass);
      return;
    }
    http::Response r =
        http::Response::Stream([self = shared_from_this()](std::shared_ptr<http::SseChannel> ch) {
          std::function<void()> resume;
          {
            std::lock_guard lock(self->mu_);
            self->channel_ = ch;
            if (!self->pending_.empty()) self->channel_->SendRaw(std::move(self->pending_));
            if (self->finished_) self->channel_->Finish();
            resume = std::move(self->resume_on_open_);
          }
          if (resume) ch->WhenDrained(kLowWater, std::move(resume));
        });
    r.headers = std::move(pass);
    respond_(std::move(r));
  }

  bool OnBody(std::string_view bytes) override {
    if (!streaming_) {
      if (int64_t(body_.size() + bytes.size()) > gw_->cfg.max_body_bytes) return false;
      body_.append(bytes);
      return true;
    }
    std::string out;
    splitter_.Feed(bytes, [&](std::string_view raw, std::string_view name, std::string_view data) {
      if (usage_.OnEvent(name, data)) out.append(raw);
    });
    if (out.empty()) return true;
    std::lock_guard lock(mu_);
    if (channel_ == nullptr) {
      pending_.append(out);
      return true;
    }
    return channel_->SendRaw(std::move(out));
  }

  // Back-pressure: past kHighWater bytes queued for the client (or waiting
  // for its stream to open), the upstream is not read until the client has
  // taken all but kLowWater of them.
  static constexpr size_t kHighWater = 1u << 20, kLowWater = 256u << 10;
  // A non-streamed body up to this size is copied so that its usage can be
  // read after the answer is written.
  static constexpr size_t kUsageCopyBytes = 64u << 10;
  bool Pause(std::function<void()> resume) override {
    if (!streaming_) return false;  // bounded by max_body_bytes
    std::shared_ptr<http::SseChannel> ch;
    {
      std::lock_guard lock(mu_);
      if (channel_ == nullptr) {
        if (pending_.size() <= kHighWater) return false;
        resume_on_open_ = std::move(resume);
        return true;
      }
      ch = channel_;
    }
    if (ch->queued_bytes() <= kHighWater) return false;
    ch->WhenDrained(kLowWater, std::move(resume));
    return true;
  }

  void OnEnd(Status s) override {
    const char* up = UpstreamName(api_);
    Usage u = usage_.usage();
    if (!streaming_) {
      if (status_ == 0) {
        // Nothing came back: the client gets the provider-shaped 502/504.
        Settle(u);
        gw_->metrics.Update(up, creq_.model,
                            [&](GatewayMetrics::Row& r) { r.requests++, r.upstream_errors++; });
        int code = s.code() == Status::Code::kUnavailable ? 504 : 502;
        return respond_(ProviderError(api_, code, "burnrate gateway: " + s.message()));
      }
      // The usage is read once the answer is on its way: the client does
      // not wait for the parse. From a copy of the body when it is small
      // (the body moves into the answer); a large one is read first
      // instead of copied.
      std::string usage_body;
      const bool read_usage = status_ == 200 && s.ok();
      if (read_usage && body_.size() <= kUsageCopyBytes) {
        usage_body = body_;
      } else if (read_usage) {
        (void)ParseUsageBody(api_, body_, &u);
      }
      http::Response r;
      r.status = s.ok() ? status_ : 502;
      r.content_type = content_type_;
      r.headers = std::move(headers_);
      r.body = s.ok() ? std::move(body_)
                      : ProviderError(
                            api_, 502,
                            "burnrate gateway: upstream answer too large or cut: " + s.message())
                            .body;
      respond_(std::move(r));
      if (!usage_body.empty()) (void)ParseUsageBody(api_, usage_body, &u);
    } else {
      std::lock_guard lock(mu_);
      finished_ = true;
      if (channel_ != nullptr) channel_->Finish();
    }
    Settle(u);
    double secs = std::chrono::duration<double>(Steady::now() - start_).count();
    // The asked model: bounded by the key's use.
    gw_->metrics.Update(up, creq_.model, [&](GatewayMetrics::Row& r) {
      r.requests++;
      r.streams += streaming_;
      r.upstream_errors += (!s.ok() && s.code() != Status::Code::kUnavailable) || status_ >= 500;
      r.latency_s += secs;
      r.input += u.tokens.input, r.output += u.tokens.output;
      r.cache_read += u.tokens.cache_read, r.cache_write += u.tokens.cache_write;
    });
  }

 private:
  // As printf's "%.3f" (to_chars with a precision rounds the same way),
  // without printf's format parsing and locale: this runs per request.
  static std::string fmt_ms(double ms) {
    char b[64];
    auto [end, ec] = std::to_chars(b, b + sizeof b, ms, std::chars_format::fixed, 3);
    if (ec != std::errc()) return "0.000";
    return std::string(b, end);
  }

  std::string EventId(const Usage& u) const {
    if (api_ == Api::kAnthropicMessages && !request_id_.empty())
      return claude::UsageEventIdForIds(u.id, request_id_);
    return std::string("gw-") + UpstreamName(api_) + ":" + u.id;
  }

  void Settle(const Usage& u) {
    govern::SettleRequest s;
    s.reservation_id = reservation_;
    std::string model = u.model.empty() ? creq_.model : u.model;
    if (u.reported) {
      s.tokens = u.tokens;
      s.cost_nanos = gw_->EstimateCostNanos(model, u.tokens);
      if (!u.id.empty()) s.event_id = EventId(u);
    }
    if (!reservation_.empty())
      (void)gw_->governor.Settle(s);  // an expired reservation is no error here
    if (!u.reported) return;
    model::Event e;
    e.id = !s.event_id.empty() ? s.event_id : "";
    e.ts = gw_->clock.NowMs();
    e.user = caller_.user.empty() ? caller_.principal : caller_.user;
    e.team = caller_.team;
    e.project = caller_.project;
    e.source = "gateway";
    e.model = model;
    e.tokens = u.tokens;
    if (!creq_.newest_user_text.empty())
      e.prompt = model::ComputePromptFeatures(creq_.newest_user_text);
    if (e.id.empty()) e.id = "gw-" + std::string(UpstreamName(api_)) + ":" + reservation_;
    gw_->events.Add(std::move(e));
  }

  std::shared_ptr<Gateway::Impl> gw_;
  Api api_;
  http::Respond respond_;
  ClientRequest creq_;
  http::Caller caller_;
  std::string reservation_;
  Steady::time_point start_;
  double overhead_ms_;
  int status_ = 0;
  bool streaming_ = false;
  std::string request_id_, content_type_, body_;
  Headers headers_;
  SseSplitter splitter_;
  StreamUsage usage_;
  std::mutex mu_;  // guards channel_, pending_, finished_ (the stream opens on the HTTP strand)
  std::shared_ptr<http::SseChannel> channel_;
  std::string pending_;
  bool finished_ = false;
  std::function<void()> resume_on_open_;  // guarded by mu_: paused before the stream opened
};

void Gateway::Impl::Forward(Api api, http::Request& req, http::Respond respond) {
  Steady::time_point start = Steady::now();
  Upstream* up = For(api);
  if (up == nullptr) {
    return respond(ProviderError(api, 404,
                                 std::string("burnrate gateway: no ") + UpstreamName(api) +
                                     " upstream is configured ([gateway." + UpstreamName(api) +
                                     "])"));
  }
  ClientRequest creq;
  if (Status st = ParseClientRequest(api, req.body, &creq); !st.ok()) {
    return respond(ProviderError(api, 400, "burnrate gateway: " + st.message()));
  }
  // 2. Governance with an estimate that is an upper bound when honest:
  // every body byte a fraction of a token, the whole output ceiling.
  model::TokenCounts est;
  est.input = int64_t(std::ceil(double(req.body.size()) / cfg.bytes_per_token));
  est.output = creq.max_tokens >= 0 ? creq.max_tokens : cfg.default_max_tokens;
  govern::CheckRequest check;
  const http::Caller& who = req.caller;
  check.user = who.user.empty() ? who.principal : who.user;
  check.key = who.principal;
  check.team = who.team;
  check.project = who.project;
  check.model = creq.model;
  check.estimated_tokens = est.Total();
  check.estimated_cost_nanos = EstimateCostNanos(creq.model, est);
  check.actor = who.principal;
  auto res = governor.Check(check);
  if (!res.ok())
    return respond(ProviderError(api, 503, "burnrate gateway: " + res.status().message()));
  if (res->decision != govern::Decision::kAllow) {
    metrics.Update(UpstreamName(api), creq.model,
                   [](GatewayMetrics::Row& r) { r.requests++, r.denied++; });
    std::string msg = "burnrate: request refused by " + res->policy + ": " + res->reason;
    if (res->retry_after_ms > 0) msg += "; resets in " + FormatDuration(res->retry_after_ms);
    http::Response r = ProviderError(api, 429, msg, std::max<TimeMs>(res->retry_after_ms, 1000));
    r.headers.emplace_back("x-burnrate-policy", res->policy);
    return respond(std::move(r));
  }
  // 3. Forward.
  UpstreamRequest ureq;
  ureq.method = "POST";
  ureq.target = UpstreamTarget(req);
  ureq.headers = UpstreamHeaders(api, req);
  ureq.body = creq.forward_body.empty() ? std::move(req.body) : std::move(creq.forward_body);
  creq.forward_body.clear();
  double overhead_ms = std::chrono::duration<double, std::milli>(Steady::now() - start).count();
  // The caller is moved: nothing reads req.caller after the handler.
  auto ex = std::make_shared<Exchange>(shared_from_this(), api, std::move(respond), std::move(creq),
                                       std::move(req.caller), std::move(res->reservation_id), start,
                                       overhead_ms);
  up->Send(std::move(ureq), std::move(ex));
}

// Unmetered calls (count_tokens, models): forwarded with the provider key,
// answered whole.
class Relay final : public UpstreamHandler {
 public:
  Relay(Api api, http::Respond r) : api_(api), respond_(std::move(r)) {}
  void OnHead(UpstreamHead& h) override {
    res_.status = h.status;
    std::string_view ct = h.Get("content-type");
    if (!ct.empty()) res_.content_type = std::string(ct);
  }
  bool OnBody(std::string_view b) override {
    res_.body.append(b);
    return res_.body.size() < (64u << 20);
  }
  void OnEnd(Status s) override {
    if (!s.ok()) return respond_(ProviderError(api_, 502, "burnrate gateway: " + s.message()));
    respond_(std::move(res_));
  }

 private:
  Api api_;
  http::Respond respond_;
  http::Response res_;
};

void Gateway::Impl::Passthrough(Api api, http::Request& req, http::Respond respond) {
  Upstream* up = For(api);
  if (up == nullptr)
    return respond(
        ProviderError(api, 404, "burnrate gateway: no upstream configured for this API"));
  UpstreamRequest ureq;
  ureq.method = req.method;
  ureq.target = UpstreamTarget(req);
  ureq.headers = UpstreamHeaders(api, req);
  ureq.body = std::move(req.body);
  up->Send(std::move(ureq), std::make_shared<Relay>(api, std::move(respond)));
}

Gateway::Gateway(GatewayConfig cfg, govern::Governor& governor, const model::PriceBook& prices,
                 const Clock& clock, EventSink sink)
    : impl_(std::make_shared<Impl>(std::move(cfg), governor, prices, clock, std::move(sink))) {}

Gateway::~Gateway() { Stop(); }

Status Gateway::Start(http::IoLoop* loop) {
  impl_->io = impl_->cfg.threads > 0 || loop == nullptr
                  ? std::make_unique<UpstreamIo>(std::max(1, impl_->cfg.threads))
                  : std::make_unique<UpstreamIo>(*loop);
  impl_->events.Start();
  if (impl_->cfg.anthropic.enabled) {
    BR_ASSIGN_OR_RETURN(impl_->anthropic,
                        Upstream::Create(impl_->cfg.anthropic.upstream, *impl_->io));
  }
  if (impl_->cfg.openai.enabled) {
    BR_ASSIGN_OR_RETURN(impl_->openai, Upstream::Create(impl_->cfg.openai.upstream, *impl_->io));
  }
  return Status::OK();
}

void Gateway::Stop() {
  if (impl_->io) impl_->io->Stop();
  impl_->events.Stop();
}

void Gateway::RegisterRoutes(http::Router& router) {
  using http::Role;
  std::weak_ptr<Impl> w = impl_;
  auto route = [w](Api api, bool metered) {
    return [w, api, metered](http::Request& req, http::Respond respond) {
      auto gw = w.lock();
      if (gw == nullptr) return respond(ProviderError(api, 503, "burnrate gateway: shutting down"));
      if (metered) return gw->Forward(api, req, std::move(respond));
      gw->Passthrough(api, req, std::move(respond));
    };
  };
  // A missing, bad or revoked key (401) or a key of another role (403) is
  // answered in the provider's shape too, so that the agent shows why.
  auto refusal = [](Api api) {
    return [api](const http::Request&, const Status& why) {
      return ProviderError(api, http::HttpStatusFor(why), "burnrate gateway: " + why.message());
    };
  };
  router.Add("POST", "/v1/messages", Role::kGateway, route(Api::kAnthropicMessages, true));
  router.ShapeRefusals(refusal(Api::kAnthropicMessages));
  router.Add("POST", "/v1/messages/count_tokens", Role::kGateway,
             route(Api::kAnthropicMessages, false));
  router.ShapeRefusals(refusal(Api::kAnthropicMessages));
  router.Add("POST", "/v1/chat/completions", Role::kGateway, route(Api::kOpenAiChat, true));
  router.ShapeRefusals(refusal(Api::kOpenAiChat));
  router.Add("POST", "/v1/responses", Role::kGateway, route(Api::kOpenAiResponses, true));
  router.ShapeRefusals(refusal(Api::kOpenAiResponses));
  // Both providers list models at GET /v1/models; Anthropic's clients send
  // anthropic-version.
  router.Add("GET", "/v1/models", Role::kGateway, [w](http::Request& req, http::Respond respond) {
    auto gw = w.lock();
    if (gw == nullptr)
      return respond(ProviderError(Api::kOpenAiChat, 503, "burnrate gateway: shutting down"));
    Api api = !req.Header("anthropic-version").empty() || gw->openai == nullptr
                  ? Api::kAnthropicMessages
                  : Api::kOpenAiChat;
    gw->Passthrough(api, req, std::move(respond));
  });
  router.ShapeRefusals([](const http::Request& req, const Status& why) {
    Api api = req.Header("anthropic-version").empty() ? Api::kOpenAiChat : Api::kAnthropicMessages;
    return ProviderError(api, http::HttpStatusFor(why), "burnrate gateway: " + why.message());
  });
}

void Gateway::AppendMetrics(std::string& out) const { impl_->metrics.Append(out); }

std::optional<http::Caller> Gateway::PassthroughCaller(std::string_view key) const {
  if (impl_->cfg.passthrough.empty()) return std::nullopt;
  return PassthroughCallerByHash(Sha256Hex(key));
}

bool Gateway::has_passthrough() const { return !impl_->cfg.passthrough.empty(); }

std::optional<http::Caller> Gateway::PassthroughCallerByHash(const std::string& hash) const {
  const PassthroughKey* k = impl_->Passthrough(hash);
  if (k == nullptr) return std::nullopt;
  http::Caller c;
  c.role = http::Role::kGateway;
  c.principal = "byok:" + hash.substr(0, 12);  // never the key
  c.key_hash = hash;
  c.user = k->user, c.team = k->team, c.project = k->project;
  return c;
}

}  // namespace burnrate::gateway
