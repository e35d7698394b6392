// Internal to the app layer: App's members, shared by app.cc, routes.cc and
// metrics.cc.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "app/app.h"
#include "app/checkpointer.h"
#include "app/flag_throttle.h"
#include "app/key_auth.h"
#include "app/pseudonyms.h"
#include "badges/badges.h"
#include "common/json_writer.h"
#include "detect/detect.h"
#include "engine/engine.h"
#include "gateway/gateway.h"
#include "govern/govern.h"
#include "http/http.h"
#include "ingest/ingest.h"
#include "model/identity.h"
#include "model/price_book.h"
#include "otlp/otlp.h"
#include "store/sqlite/sqlite_stores.h"
#include "store/store.h"

namespace burnrate::app {

struct Subscriber {
  std::shared_ptr<http::SseChannel> channel;
  std::string key_hash;  // the stream's key: the stream closes when it is revoked
  engine::BoardQuery query;
  uint64_t sent_version = 0;
};

// Governance's three stores, on one connection (SQLite or PostgreSQL).
struct GovernDb {
  std::unique_ptr<govern::AuditStore> audit;  // owns the object
  govern::PolicyStore* policies = nullptr;    // the same object
  govern::AlertStore* alerts = nullptr;       // the same object
};
// The domain stores of the database `db` names (stores.cc; IsPostgres).
Result<GovernDb> OpenGovernDb(const std::string& db);
Result<std::unique_ptr<detect::FlagStore>> OpenFlagStore(const std::string& db);
Result<std::unique_ptr<otlp::StateStore>> OpenOtlpStateStore(const std::string& db);
Result<std::unique_ptr<badges::BadgeStore>> OpenBadgeStore(const std::string& db);

struct BoardState;  // board_state.h: OTLP receiver, badges, profiles

struct App::Impl {
  Config cfg;
  const Clock* clock = nullptr;
  std::unique_ptr<store::Store> store;
  model::PriceBook prices;
  model::Identity identity;
  std::unique_ptr<engine::Engine> engine;
  // Governance's storage (audit, policies, alerts): its tables live in the
  // same database.
  GovernDb govern_db;
  std::unique_ptr<govern::AuditLog> audit;
  std::unique_ptr<govern::WebhookTransport> webhooks;
  std::unique_ptr<govern::Alerter> alerter;
  std::unique_ptr<govern::Governor> governor;
  std::unique_ptr<detect::DetectionEngine> detection;
  // Flags -> governance throttles, audit and honest volume.
  std::unique_ptr<FlagThrottle> flag_throttle;
  std::unique_ptr<ingest::Ingestor> ingestor;
  std::unique_ptr<Checkpointer> checkpointer;  // null for an in-memory database
  http::Router router;
  // The HTTP server's event loop, lent to the gateway's upstream
  // connections too; declared before both so that it outlives them.
  http::IoLoop io_loop;
  std::unique_ptr<http::Server> server;
  // The metering gateway ([gateway]); null when not configured.
  std::unique_ptr<gateway::Gateway> gateway;
  TimeMs started_at = 0;
  std::atomic<bool> ready{false};

  // API keys: who a key is, re-checked against the store within a second.
  std::unique_ptr<KeyAuth> keys;
  std::unique_ptr<Pseudonyms> pseudonyms;  // aliases on boards when cfg.pseudonymous

  // Live board subscribers; guarded by subs_mu.
  std::mutex subs_mu;
  std::vector<Subscriber> subs;

  // HTTP counters for /metrics, by route class.
  std::atomic<int64_t> http_requests{0}, http_errors{0}, ingest_requests{0};
  // Answers to ingest requests (POST /v1/events and the OTLP routes) by
  // status class: [0] 2xx, [1] 4xx, [2] 5xx (burnrate_http_ingest_responses_total).
  std::array<std::atomic<int64_t>, 3> ingest_responses{};
  // `respond`, counting the answer's status class in ingest_responses first.
  http::Respond CountIngestResponse(http::Respond respond);
  // Price reloads for /metrics; the last error for GET /v1/prices.
  std::atomic<int64_t> price_reloads{0}, price_reload_errors{0};
  std::mutex price_mu;  // guards last_price_error
  std::string last_price_error;

  // The ticker thread: board refresh, SSE fan-out, the governance tick.
  std::thread ticker;
  // The upkeep thread: detection scoring and the retention purge (slow work
  // that must not hold the ticker back). Both stop on `stopping`.
  std::thread upkeep;
  std::mutex tick_mu;
  std::condition_variable tick_cv;
  bool stopping = false;  // guarded by tick_mu

  // Leaderboard extras (board_routes.cc); declared last so that it stops
  // first, while the engine is still there.
  std::shared_ptr<BoardState> board;

  // The core API module (routes.cc): its route table and named handlers.
  void RegisterRoutes();
  void RegisterHealthRoutes();
  http::Response Readyz();
  void PostEvents(http::Request& r, http::Respond respond);
  http::Response GetLeaderboard(http::Request& r);
  http::Response StreamLeaderboard(http::Request& r);
  http::Response GetUsage(engine::Entity ent, http::Request& r);
  http::Response GetOverview(http::Request& r);
  http::Response GetIdentity();
  http::Response PostIdentity(http::Request& r);
  http::Response CreateKey(http::Request& r);
  http::Response ListKeys();
  http::Response RevokeKey(http::Request& r);
  // Loads the engine checkpoint (if any, and valid), then replays the rest.
  Status Recover();
  // Creates and starts the gateway when [gateway] is configured (app.cc).
  Status StartGateway();
  Status OpenGovernanceAndDetection();
  // Badge and profile routes; starts the badge worker and the OTLP routes
  // (board_routes.cc).
  void RegisterBoardRoutes();
  // POST /v1/metrics, /v1/logs, /v1/traces (otlp_routes.cc).
  void RegisterOtlpRoutes();
  // GET /v1/prices, POST /v1/prices/reload (price_routes.cc).
  void RegisterPriceRoutes();
  Status ReloadPrices();
  void StartBadges();
  std::string ProfileJson(engine::Entity e, const engine::Profile& p);
  // "badges": [{"id", "name"}] currently held, on board rows (board_routes.cc).
  void WriteHeldBadges(JsonWriter& w, engine::Entity e, const std::string& id) const;
  void Tick();
  void Upkeep();
  void SyncSharedState();  // ticker: policies and flag reviews other nodes made
  void ScoreDetection(TimeMs now);
  std::string BoardJson(const engine::Board& b) const;
  std::string Alias(std::string_view id) const;
  void MatchAliases(engine::BoardQuery& q);  // routes.cc
  std::string MetricsText();
};

// Token, cost, outcome and value-per-token fields of one counters object
// (routes.cc), shared by boards, usage and profiles.
void WriteCounters(JsonWriter& w, const engine::Counters& c);
// burnrate_unpriced_tokens_total{model} and burnrate_estimated_cost_usd_total
// {model} (metrics.cc): `seen` in first-seen order; models past
// kMaxModelLabels are summed as model="other" so label cardinality is bounded.
inline constexpr size_t kMaxModelLabels = 100;
void AppendUnpricedMetrics(const std::vector<engine::UnpricedModel>& seen, std::string& out);
// Applies the [efficiency] / [outcomes.weights] config to engine options.
Status ConfigureBoardEngine(const Config& cfg, engine::EngineOptions* eo);

}  // namespace burnrate::app
