// The gateway layer's front door: the metering gateway (docs/gateway.md).
//
// Serves the providers' own endpoints, Anthropic POST /v1/messages (and
// /v1/messages/count_tokens, passed through) and OpenAI POST
// /v1/chat/completions, POST /v1/responses, GET /v1/models, on the app's
// HTTP server. Clients authenticate with a gateway key (role gateway,
// bound to a user, team and project); the provider's key never leaves the
// gateway. Life of a request:
//   1. parse the body (client_request.h): model, stream, max_tokens, the
//      newest user turn;
//   2. check governance with an estimate (input from the body's size,
//      output from max_tokens, cost from the price book); a refusal is
//      answered 429 in the provider's error shape and never forwarded;
//   3. forward (upstream.h), streaming the answer through as it comes;
//   4. read the usage from the answer (usage_parser.h) and settle the
//      reservation with it, then hand one usage event to the sink, its id
//      derived from the provider's message id (so a log copy counts once).
//
// Thread-safety: handlers run on HTTP and upstream I/O threads; the
// Gateway is thread-safe once Start() returned. It borrows the governor,
// prices and clock, which must outlive it.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "common/toml_fwd.h"
#include "gateway/upstream.h"
#include "http/http.h"
#include "model/event.h"

namespace burnrate::govern {
class Governor;
}
namespace burnrate::model {
class PriceBook;
}

namespace burnrate::gateway {

struct ProviderConfig {
  bool enabled = false;
  UpstreamOptions upstream;
  std::string api_key;  // the provider key (from api_key, or the api_key_env variable)
};

// Bring your own key: a client that sends this provider key (known by its
// SHA-256 only; the config never holds the key) is metered for `user`,
// `team` and `project`, and its own key goes upstream instead of the
// configured one.
struct PassthroughKey {
  std::string key_sha256;  // lower-case hex
  std::string user, team, project;
};

struct GatewayConfig {
  bool enabled = false;
  std::vector<PassthroughKey> passthrough;  // [[gateway.passthrough]]
  ProviderConfig anthropic, openai;
  // Upstream I/O threads of the gateway's own; 0 (the default): run the
  // upstream connections on the HTTP server's threads (no thread hop).
  int threads = 0;
  int64_t default_max_tokens = 4096;  // output estimate when a request names none
  double bytes_per_token = 3.0;       // input estimate: body bytes / this
  // The estimate's price per million tokens for a model the price book
  // cannot price at all (no exact or family price), so that such a model
  // is never admitted at $0.
  double unpriced_usd_per_mtok = 15.0;
  int64_t max_body_bytes = 32 << 20;  // of a buffered (non-streaming) answer
  // Usage events go to ingestion in batches of at most this many, at most
  // this long after the first of a batch (event_batcher.h).
  int event_batch_max = 512;
  int event_batch_delay_ms = 20;
};

// Reads [gateway], [gateway.anthropic], [gateway.openai] (docs/gateway.md).
// `getenv` resolves api_key_env. Errors name the key.
Result<GatewayConfig> ParseGatewayConfig(const toml::table& root,
                                         const std::function<const char*(const char*)>& getenv);

class Gateway {
 public:
  // Receives the usage events in batches (see GatewayConfig::event_batch_*).
  using EventSink = std::function<void(std::vector<model::Event>)>;
  Gateway(GatewayConfig cfg, govern::Governor& governor, const model::PriceBook& prices,
          const Clock& clock, EventSink sink);
  ~Gateway();
  // Creates the upstreams; their connections run on `loop` (the HTTP
  // server's, which must outlive the gateway) when cfg.threads is 0, else
  // on threads of their own.
  Status Start(http::IoLoop* loop);
  // Stops the upstreams' own threads and hands on the events still waiting.
  // Exchanges still running on a lent loop end when its owner stops it.
  void Stop();
  void RegisterRoutes(http::Router& router);
  // The caller a bring-your-own provider key stands for (role gateway), or
  // nullopt when `key` is not one of [[gateway.passthrough]]. For the
  // app's authenticator, tried before burnrate's own keys.
  std::optional<http::Caller> PassthroughCaller(std::string_view key) const;
  // Same, by the key's SHA-256 hex: the authenticator hashes a key once and
  // asks this and the key store with the hash.
  std::optional<http::Caller> PassthroughCallerByHash(const std::string& key_sha256) const;
  bool has_passthrough() const;
  // burnrate_gateway_* counters per upstream and model (models past a
  // bound are summed as "other").
  void AppendMetrics(std::string& out) const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace burnrate::gateway
