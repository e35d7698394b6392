#include "app/app.h"

#include <pthread.h>
#include <toml++/toml.h>

#include <future>

#include "app/app_impl.h"
#include "common/hash.h"
#include "common/heap.h"
#include "common/log.h"
#include "model/prompt_features.h"

namespace burnrate::app {

App::App() : impl_(std::make_unique<Impl>()) {}
App::~App() { Stop(); }

Result<std::unique_ptr<App>> App::Open(Config cfg, const Clock& clock) {
  // The ingest path allocates per new user: keep freed memory faulted in
  // and grow arenas in large steps (common/heap.h). Process-wide, once.
  TuneHeapForIngest();
  std::unique_ptr<App> app(new App());
  Impl& a = *app->impl_;
  a.cfg = std::move(cfg);
  a.clock = &clock;
  BR_ASSIGN_OR_RETURN(a.store, OpenStore(a.cfg.db_path));
  a.keys = std::make_unique<KeyAuth>(*a.store, clock);
  BR_ASSIGN_OR_RETURN(a.pseudonyms, Pseudonyms::Open(*a.store));
  if (!a.cfg.prices_file.empty()) BR_RETURN_IF_ERROR(a.prices.Load(a.cfg.prices_file));
  if (!a.cfg.identity_file.empty()) BR_RETURN_IF_ERROR(a.identity.LoadFile(a.cfg.identity_file));
  BR_ASSIGN_OR_RETURN(TimeZone tz, TimeZone::Load(a.cfg.timezone));
  engine::EngineOptions eo;
  eo.tz = tz;
  eo.board_refresh_ms = a.cfg.board_refresh_ms;
  BR_RETURN_IF_ERROR(ConfigureBoardEngine(a.cfg, &eo));
  a.engine = std::make_unique<engine::Engine>(eo, clock);
  BR_RETURN_IF_ERROR(a.OpenGovernanceAndDetection());
  ingest::IngestOptions io;
  io.limits = a.cfg.limits;
  if (a.detection->config().prompt_features) io.prompt_features = model::ComputePromptFeatures;
  a.ingestor =
      std::make_unique<ingest::Ingestor>(io, *a.store, *a.engine, a.identity, a.prices, clock);
  // Durable events reach governance (budgets count ingested usage) and
  // detection (features per user and day), on the applier thread. At
  // restart each is replayed only the events its current windows still
  // hold (Listener::replay_from), governance at their arrival time.
  a.ingestor->AddListener({
      .on_events = [&a](std::span<const model::Event> events) { a.governor->OnUsageBatch(events); },
      .replay_from = [&a](TimeMs now) { return a.governor->ReplayHorizon(now); },
      .on_replay =
          [&a](std::span<const model::Event> events) {
            for (const auto& e : events) a.governor->ReplayUsage(e);
          },
  });
  a.ingestor->AddListener({
      .on_events =
          [&a](std::span<const model::Event> events) { a.detection->ObserveBatch(events); },
      .replay_from = [&a](TimeMs now) { return a.detection->ReplayHorizon(now); },
      .on_replay = {},
      .on_conflicts =
          [&a](std::span<const model::Event> events) { a.detection->ObserveConflicts(events); },
  });
  // The checkpoint file: [store] checkpoint_path, else `<db>.checkpoint`
  // beside a SQLite file; a PostgreSQL node without one replays the log.
  std::string checkpoint = a.cfg.checkpoint_path;
  if (checkpoint.empty() && a.cfg.db_path != ":memory:" && !IsPostgres(a.cfg.db_path))
    checkpoint = a.cfg.db_path + ".checkpoint";
  if (!checkpoint.empty()) {
    a.checkpointer =
        std::make_unique<Checkpointer>(checkpoint, *a.engine, *a.ingestor, *a.store, clock);
  }
  return app;
}

Result<detect::DetectConfig> DetectionConfig(const Config& cfg) {
  detect::DetectConfig dc;
  BR_ASSIGN_OR_RETURN(dc.tz, TimeZone::Load(cfg.timezone));
  if (cfg.toml) BR_RETURN_IF_ERROR(detect::ApplyDetectionToml(*cfg.toml, cfg.config_path, &dc));
  return dc;
}

Status App::Impl::OpenGovernanceAndDetection() {
  BR_ASSIGN_OR_RETURN(govern_db, OpenGovernDb(cfg.db_path));
  audit = std::make_unique<govern::AuditLog>(govern_db.audit.get(), *clock);
  webhooks = govern::NewHttpClientTransport();
  alerter = std::make_unique<govern::Alerter>(*webhooks, *clock);
  BR_RETURN_IF_ERROR(alerter->AttachDb(govern_db.alerts));
  BR_ASSIGN_OR_RETURN(auto limit_store, govern::LimitStoreFromConfig(cfg.toml.get()));
  governor =
      std::make_unique<govern::Governor>(*clock, *audit, alerter.get(), std::move(limit_store));
  governor->SetIdentity(&identity);
  governor->SetPrices(&prices);
  BR_RETURN_IF_ERROR(governor->AttachDb(govern_db.policies, govern_db.alerts));
  if (cfg.toml) BR_RETURN_IF_ERROR(governor->Configure(*cfg.toml));
  BR_ASSIGN_OR_RETURN(detect::DetectConfig dc, DetectionConfig(cfg));
  // Flags live in the same database file, so reviews survive restarts.
  BR_ASSIGN_OR_RETURN(auto flag_store, OpenFlagStore(cfg.db_path));
  detection = std::make_unique<detect::DetectionEngine>(dc, *clock, std::move(flag_store));
  detection->SetPrices(&prices);  // plausibility: given costs and model names
  flag_throttle = std::make_unique<FlagThrottle>(*detection, *governor, *audit, *clock);
  detection->Subscribe(
      [this](const detect::Flag& f, detect::FlagEvent ev) { flag_throttle->OnFlag(f, ev); });
  // Days older than yesterday are rescored from the stored events.
  detection->SetEventScan(
      [this](TimeMs from, const std::function<Status(std::span<const model::Event>)>& fn) {
        return store->ScanEventBatches(from, fn);
      });
  flag_throttle->Restore();
  // Honest volume: tokens minus waste counted by detection, users only.
  engine->SetWasteFn([this](engine::Entity e, std::string_view id, engine::TimeRange r) -> int64_t {
    return e == engine::Entity::kUser ? flag_throttle->WastedTokens(id, r.from, r.to) : 0;
  });
  return Status::OK();
}

void App::Impl::ScoreDetection(TimeMs now) {
  // Today so far, and yesterday until its scores are final; older days
  // that received events (late, imported, replayed) once they settle.
  int64_t today = detection->DayOf(now);
  detection->ScoreDay(today - 1);
  detection->ScoreDay(today);
  detection->RescoreSettled(now);
}

Status App::Start() {
  Impl& a = *impl_;
  a.started_at = a.clock->NowMs();
  BR_RETURN_IF_ERROR(a.Recover());
  // The gateway's routes first: the router tries routes in order, and the
  // provider endpoints are the ones called thousands of times a second.
  BR_RETURN_IF_ERROR(a.StartGateway());
  a.RegisterRoutes();
  http::ServerOptions so;
  BR_RETURN_IF_ERROR(SplitHostPort(a.cfg.listen, &so.host, &so.port));
  so.threads = a.cfg.http_threads;
  so.max_connections = a.cfg.max_connections;
  so.header_timeout_ms = a.cfg.header_timeout_ms;
  so.access_log = a.cfg.access_log;
  so.io_priority = a.cfg.io_priority;
  so.busy_poll_us = a.cfg.busy_poll_us;
  so.idle_timeout_ms = a.cfg.idle_timeout_ms;
  so.body_timeout_ms = a.cfg.body_timeout_ms;
  so.loop = &a.io_loop;
  a.server = std::make_unique<http::Server>(so, a.router);
  BR_RETURN_IF_ERROR(a.server->Start());
  a.ticker = std::thread([&a] {
    pthread_setname_np(pthread_self(), "br-tick");
    a.Tick();
  });
  a.upkeep = std::thread([&a] {
    pthread_setname_np(pthread_self(), "br-upkeep");
    a.Upkeep();
  });
  a.ready = true;
  return Status::OK();
}

Status App::StartOffline() {
  impl_->started_at = impl_->clock->NowMs();
  return impl_->Recover();
}

// The engine from its checkpoint plus the events after it; the index and
// the listeners from their own horizons. Then ingest starts, and so do
// checkpoints. The checkpoint's state streams into the engine on its own
// thread while the index and the listeners (which do not read the engine)
// replay their horizons; the engine's tail waits for it, and a checkpoint
// that fails its checksum at the end means a full replay of the engine
// (Ingestor::Recover).
Status App::Impl::Recover() {
  int64_t through = checkpointer ? checkpointer->Open() : -1;
  if (through < 0) {
    BR_RETURN_IF_ERROR(ingestor->Recover(-1));
  } else {
    std::future<bool> loaded =
        std::async(std::launch::async, [this] { return checkpointer->Restore(); });
    BR_RETURN_IF_ERROR(ingestor->Recover(through, [&loaded] { return loaded.get(); }));
  }
  // Recovery freed what it decoded through (event blocks, the checkpoint's
  // pieces, grown-and-moved vectors): give those pages back now rather than
  // hold them for the life of the process.
  ReleaseFreeHeap();
  ingestor->Start();
  if (checkpointer) checkpointer->Start(cfg.checkpoint_interval_s);
  return Status::OK();
}

void App::Stop() {
  Impl& a = *impl_;
  a.ready = false;
  {
    std::lock_guard lock(a.tick_mu);
    a.stopping = true;
  }
  a.tick_cv.notify_all();
  if (a.ticker.joinable()) a.ticker.join();
  if (a.upkeep.joinable()) a.upkeep.join();
  if (a.server) a.server->Stop();
  if (a.gateway) a.gateway->Stop();
  if (a.ingestor) a.ingestor->Stop();
  if (a.checkpointer) a.checkpointer->Stop();  // after the drain: the last commit is in it
}

Status App::Impl::StartGateway() {
  if (cfg.toml == nullptr) {
    if (cfg.gateway_only)
      return Status::InvalidArgument("burnrate gateway needs --config with a [gateway] table");
    return Status::OK();
  }
  BR_ASSIGN_OR_RETURN(
      gateway::GatewayConfig gc,
      gateway::ParseGatewayConfig(*cfg.toml, [](const char* n) { return std::getenv(n); }));
  if (!gc.enabled) {
    if (cfg.gateway_only)
      return Status::InvalidArgument(
          "burnrate gateway needs [gateway.anthropic] or [gateway.openai] in the config");
    return Status::OK();
  }
  // Usage the gateway read goes in as any other event: durable, on the
  // boards, and counted once with its settle (same event id).
  // Batched by the gateway (one submission per batch, not per request).
  auto sink = [this](std::vector<model::Event> events) {
    TimeMs now = clock->NowMs();
    for (model::Event& e : events) e.received = now;
    ingestor->SubmitEvents(std::move(events), [](Result<ingest::IngestResult> r) {
      if (!r.ok()) log::Warn("gateway.ingest", {{"error", r.status().message()}});
    });
  };
  gateway =
      std::make_unique<gateway::Gateway>(std::move(gc), *governor, prices, *clock, std::move(sink));
  // The upstream connections run on the HTTP server's loop and threads.
  BR_RETURN_IF_ERROR(gateway->Start(&io_loop));
  gateway->RegisterRoutes(router);
  return Status::OK();
}

void App::Impl::Tick() {
  TimeMs last_govern = 0;
  for (;;) {
    {
      std::unique_lock lock(tick_mu);
      if (tick_cv.wait_for(lock, std::chrono::milliseconds(100), [&] { return stopping; })) return;
    }
    engine->RefreshBoards();
    keys->Refresh();
    // Fan out changed boards to live subscribers, one build per query. A
    // stream whose key was revoked is closed.
    std::vector<Subscriber> snapshot;
    {
      std::lock_guard lock(subs_mu);
      for (auto& s : subs)
        if (!keys->AuthenticateHash(s.key_hash).ok()) s.channel->Close();
      std::erase_if(subs, [](const Subscriber& s) { return s.channel->closed(); });
      snapshot = subs;
    }
    std::unordered_map<std::string, std::pair<uint64_t, std::string>> built;
    for (auto& s : snapshot) {
      std::string key = std::string(engine::EntityName(s.query.entity)) + "/" +
                        engine::WindowName(s.query.window) + "/" +
                        engine::MetricName(s.query.metric) + "/" + std::to_string(s.query.limit) +
                        "/" + std::to_string(s.query.offset) + "/" +
                        std::to_string(s.query.sources) + "/" + s.query.search;
      auto it = built.find(key);
      if (it == built.end()) {
        auto b = engine->Leaderboard(s.query);
        if (!b.ok()) continue;
        it = built.emplace(key, std::make_pair(b->version, BoardJson(*b))).first;
      }
      if (it->second.first != s.sent_version) s.channel->Send("leaderboard", it->second.second);
      s.sent_version = it->second.first;
    }
    {
      std::lock_guard lock(subs_mu);
      for (auto& s : subs)
        for (auto& t : snapshot)
          if (s.channel == t.channel) s.sent_version = t.sent_version;
    }
    TimeMs now = clock->NowMs();
    if (now - last_govern >= kSecondMs) {
      last_govern = now;
      governor->Tick();
      if (store->shared_log()) SyncSharedState();
    }
  }
}

// Detection scoring and the retention purge take seconds at an
// organisation's scale (scoring a day of 85,000 users took 11.5 s during
// the Meta-sized day), so they have a thread of their own: on the ticker
// they held back board refreshes (reads then built boards themselves, up
// to 0.5 s), live board streams and the governance tick for as long.
void App::Impl::Upkeep() {
  TimeMs last_purge = 0, last_score = 0;
  for (;;) {
    {
      std::unique_lock lock(tick_mu);
      if (tick_cv.wait_for(lock, std::chrono::milliseconds(200), [&] { return stopping; })) return;
    }
    TimeMs now = clock->NowMs();
    if (now - last_score >= cfg.detection_interval_s * kSecondMs) {
      last_score = now;
      ScoreDetection(now);
    }
    if (now - last_purge > kHourMs) {
      last_purge = now;
      log::IfError(store->Purge(now - cfg.raw_retention_days * kDayMs).status(),
                   "store.purge_failed");
    }
  }
}

// Nodes on one PostgreSQL: what another node changed reaches this one
// within the next second (keys by KeyAuth::Refresh; policies and flag
// reviews here). Boards, usage and features come by the ingest tail.
void App::Impl::SyncSharedState() {
  Result<bool> policies = governor->policies().Refresh();
  log::IfError(policies.status(), "govern.policy_refresh_failed");
  if (policies.ok() && *policies) log::Info("govern.policies_refreshed");
  flag_throttle->Sync();
}

std::string App::Impl::Alias(std::string_view id) const { return pseudonyms->Alias(id); }

uint16_t App::port() const { return impl_->server ? impl_->server->port() : 0; }

int App::max_connections() const { return impl_->server ? impl_->server->max_connections() : 0; }
store::Store& App::store() { return *impl_->store; }
engine::Engine& App::engine() { return *impl_->engine; }
ingest::Ingestor& App::ingestor() { return *impl_->ingestor; }
model::Identity& App::identity() { return impl_->identity; }
detect::DetectionEngine& App::detection() { return *impl_->detection; }
govern::Governor& App::governor() { return *impl_->governor; }
model::PriceBook& App::prices() { return impl_->prices; }
Status App::ReloadPrices() { return impl_->ReloadPrices(); }
const Config& App::config() const { return impl_->cfg; }

Result<std::string> CreateApiKey(store::Store& store, const std::string& role,
                                 const std::string& label, const std::string& user, TimeMs now,
                                 const std::string& team, const std::string& project) {
  BR_RETURN_IF_ERROR(http::ParseRole(role).status());
  if (role == "self" && user.empty())
    return Status::InvalidArgument("a key with role self needs --user");
  if (role == "gateway" && user.empty()) {
    return Status::InvalidArgument("a key with role gateway needs --user (whose usage it is)");
  }
  if (role != "gateway" && (!team.empty() || !project.empty())) {
    return Status::InvalidArgument("--team and --project are for keys with role gateway");
  }
  std::string secret = "br_" + RandomHex(20);
  store::ApiKey k;
  k.hash = Sha256Hex(secret);
  k.id = "k_" + k.hash.substr(0, 12);
  k.role = role;
  k.user = user;
  k.label = label;
  k.created = now;
  k.team = team;
  k.project = project;
  BR_RETURN_IF_ERROR(store.PutKey(k));
  return secret;
}

}  // namespace burnrate::app
