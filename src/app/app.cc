#include "app/app.h"

#include <toml++/toml.h>

#include "app/app_impl.h"
#include "common/hash.h"

namespace burnrate::app {

App::App() : impl_(std::make_unique<Impl>()) {}
App::~App() { Stop(); }

Result<std::unique_ptr<App>> App::Open(Config cfg, const Clock& clock) {
  std::unique_ptr<App> app(new App());
  Impl& a = *app->impl_;
  a.cfg = std::move(cfg);
  a.clock = &clock;
  BR_ASSIGN_OR_RETURN(a.store, store::OpenSqliteStore(a.cfg.db_path));
  a.prices = model::PriceTable::Builtin();
  if (!a.cfg.prices_file.empty()) BR_RETURN_IF_ERROR(a.prices.LoadLiteLLMFile(a.cfg.prices_file));
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
  io.prompt_features = detect::ComputePromptFeatures;
  a.ingestor = std::make_unique<ingest::Ingestor>(io, *a.store, *a.engine, a.identity, a.prices, clock);
  // Durable events reach governance (budgets count ingested usage) and
  // detection (features per user and day), on the applier thread.
  a.ingestor->AddListener([&a](std::span<const model::Event> events) {
    for (const auto& e : events) {
      a.governor->OnUsage(e);
      a.detection->Observe(e);
    }
  });
  return app;
}

// Copies [detection] from the config: `exempt` (user list), numeric
// thresholds by name (docs/detection.md), and the app's own
// score_interval_seconds, which is read elsewhere.
static Status ConfigureDetection(const toml::table& root, const std::string& origin, detect::DetectConfig* dc) {
  const toml::table* t = root["detection"].as_table();
  if (t == nullptr) return Status::OK();
  for (const auto& [key, value] : *t) {
    std::string k(key.str());
    if (k == "score_interval_seconds") continue;
    if (k == "exempt") {
      const toml::array* a = value.as_array();
      if (a == nullptr) return Status::InvalidArgument(origin + ": detection.exempt must be a list of user ids");
      for (const auto& u : *a) {
        if (auto s = u.value<std::string>()) dc->exempt.insert(*s);
      }
      continue;
    }
    auto v = value.value<double>();
    if (!v) return Status::InvalidArgument(origin + ": detection." + k + " must be a number");
    Status st = detect::SetDetectOption(*dc, k, *v);
    if (!st.ok()) return Status::InvalidArgument(origin + ": detection." + k + ": " + st.message());
  }
  return Status::OK();
}

Status App::Impl::OpenGovernanceAndDetection() {
  BR_ASSIGN_OR_RETURN(govern_db, govern::GovernDb::Open(cfg.db_path));
  audit = std::make_unique<govern::AuditLog>(govern_db.get(), *clock);
  webhooks = govern::NewHttpClientTransport();
  alerter = std::make_unique<govern::Alerter>(*webhooks, *clock);
  BR_RETURN_IF_ERROR(alerter->AttachDb(govern_db.get()));
  BR_ASSIGN_OR_RETURN(auto limit_store, govern::LimitStoreFromConfig(cfg.toml.get()));
  governor = std::make_unique<govern::Governor>(*clock, *audit, alerter.get(), std::move(limit_store));
  governor->SetIdentity(&identity);
  governor->SetPrices(&prices);
  BR_RETURN_IF_ERROR(governor->AttachDb(govern_db.get()));
  if (cfg.toml) BR_RETURN_IF_ERROR(governor->Configure(*cfg.toml));
  detect::DetectConfig dc;
  dc.tz = engine->options().tz;
  if (cfg.toml) BR_RETURN_IF_ERROR(ConfigureDetection(*cfg.toml, cfg.config_path, &dc));
  detection = std::make_unique<detect::DetectionEngine>(dc, *clock);
  // A flag that counts as waste throttles the user and is audited; a
  // dismissal lifts the throttle.
  detection->Subscribe([this](const detect::Flag& f, detect::FlagEvent ev) {
    {
      std::lock_guard lock(flags_mu);
      waste_by_user[f.user][f.day] = f.CountsAsWaste() ? f.wasted_tokens : 0;
      // Scoring re-runs every minute; act on a flag the first time only.
      if (ev == detect::FlagEvent::kFlagged && !flags_reported.insert(f.id).second) return;
    }
    audit->Append({.actor = ev == detect::FlagEvent::kFlagged ? "detect" : f.reviewer,
                   .action = std::string("flag.") + detect::FlagEventName(ev),
                   .subject = "user:" + f.user,
                   .reason = "score " + std::to_string(int(f.score)) + " on " + f.date +
                             (f.reasons.empty() ? "" : ": " + f.reasons.front().detector),
                   .detail = ""});
    if (ev == detect::FlagEvent::kDismissed) {
      governor->SetThrottle(f.user, 0, "flag " + f.id + " dismissed", f.reviewer);
    } else if (f.CountsAsWaste()) {
      governor->SetThrottle(f.user, f.state == detect::ReviewState::kConfirmed ? 2 : 1,
                            "flag " + f.id + " (score " + std::to_string(int(f.score)) + ")", "detect");
    }
  });
  // Honest volume: tokens minus waste counted by detection, users only.
  // Honest volume: tokens minus waste counted by detection, users only.
  // The flag listener above keeps waste per user and day, so a board
  // rebuild costs one hash lookup per user.
  engine->SetWasteFn([this](engine::Entity e, std::string_view id, engine::TimeRange r) -> int64_t {
    if (e != engine::Entity::kUser) return 0;
    std::lock_guard lock(flags_mu);
    auto it = waste_by_user.find(std::string(id));
    if (it == waste_by_user.end()) return 0;
    int64_t from = detection->DayOf(r.from), to = detection->DayOf(r.to - 1), sum = 0;
    for (const auto& [day, tokens] : it->second)
      if (day >= from && day <= to) sum += tokens;
    return sum;
  });
  return Status::OK();
}

void App::Impl::ScoreDetection(TimeMs now) {
  // Today so far, and yesterday until its scores are final.
  int64_t today = detection->DayOf(now);
  detection->ScoreDay(today - 1);
  detection->ScoreDay(today);
}

Status App::Start() {
  Impl& a = *impl_;
  a.started_at = a.clock->NowMs();
  BR_RETURN_IF_ERROR(a.ingestor->Recover());
  a.ingestor->Start();
  a.RegisterRoutes();
  http::ServerOptions so;
  BR_RETURN_IF_ERROR(SplitHostPort(a.cfg.listen, &so.host, &so.port));
  so.threads = a.cfg.http_threads;
  a.server = std::make_unique<http::Server>(so, a.router);
  BR_RETURN_IF_ERROR(a.server->Start());
  a.ticker = std::thread([&a] { a.Tick(); });
  a.ready = true;
  return Status::OK();
}

Status App::StartOffline() {
  impl_->started_at = impl_->clock->NowMs();
  BR_RETURN_IF_ERROR(impl_->ingestor->Recover());
  impl_->ingestor->Start();
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
  if (a.server) a.server->Stop();
  if (a.ingestor) a.ingestor->Stop();
}

void App::Impl::Tick() {
  TimeMs last_purge = 0, last_score = 0, last_govern = 0;
  for (;;) {
    {
      std::unique_lock lock(tick_mu);
      if (tick_cv.wait_for(lock, std::chrono::milliseconds(100), [&] { return stopping; })) return;
    }
    engine->RefreshBoards();
    // Fan out changed boards to live subscribers, one build per query.
    std::vector<Subscriber> snapshot;
    {
      std::lock_guard lock(subs_mu);
      std::erase_if(subs, [](const Subscriber& s) { return s.channel->closed(); });
      snapshot = subs;
    }
    std::unordered_map<std::string, std::pair<uint64_t, std::string>> built;
    for (auto& s : snapshot) {
      std::string key = std::string(engine::EntityName(s.query.entity)) + "/" + engine::WindowName(s.query.window) +
                        "/" + engine::MetricName(s.query.metric) + "/" + std::to_string(s.query.limit);
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
    }
    if (now - last_score >= cfg.detection_interval_s * kSecondMs) {
      last_score = now;
      ScoreDetection(now);
    }
    if (now - last_purge > kHourMs) {
      last_purge = now;
      (void)store->Purge(now - cfg.raw_retention_days * kDayMs);
    }
  }
}

Result<std::pair<http::Role, std::string>> App::Impl::Authenticate(std::string_view key) {
  std::string hash = Sha256Hex(key);
  {
    std::lock_guard lock(keys_mu);
    if (auto it = key_cache.find(hash); it != key_cache.end()) return it->second;
  }
  auto k = store->FindKeyByHash(hash);
  if (!k.ok() || k->revoked) return Status::Unauthenticated("invalid or revoked API key");
  BR_ASSIGN_OR_RETURN(http::Role role, http::ParseRole(k->role));
  std::pair<http::Role, std::string> who{role, k->role == "self" ? k->user : k->id};
  std::lock_guard lock(keys_mu);
  key_cache[hash] = who;
  return who;
}

std::string App::Impl::Alias(std::string_view id) const {
  static const char* kAdjectives[] = {"amber", "brisk", "calm", "deft", "eager", "fierce", "gentle", "hasty",
                                      "ivory", "jolly", "keen", "lucid", "mellow", "nimble", "opal", "plucky"};
  static const char* kAnimals[] = {"otter", "falcon", "lynx", "heron", "badger", "marten", "ibex", "puffin",
                                   "gecko", "bison", "raven", "tapir", "koala", "quokka", "serval", "wren"};
  uint64_t h = Hash64(id, 0x616c696173ULL);
  return std::string(kAdjectives[h & 15]) + "-" + kAnimals[(h >> 4) & 15] + "-" + std::to_string((h >> 8) % 1000);
}

uint16_t App::port() const { return impl_->server ? impl_->server->port() : 0; }
store::Store& App::store() { return *impl_->store; }
engine::Engine& App::engine() { return *impl_->engine; }
ingest::Ingestor& App::ingestor() { return *impl_->ingestor; }
model::Identity& App::identity() { return impl_->identity; }
detect::DetectionEngine& App::detection() { return *impl_->detection; }
const Config& App::config() const { return impl_->cfg; }

Result<std::string> CreateApiKey(store::Store& store, const std::string& role, const std::string& label,
                                 const std::string& user, TimeMs now) {
  BR_RETURN_IF_ERROR(http::ParseRole(role).status());
  if (role == "self" && user.empty()) return Status::InvalidArgument("a key with role self needs --user");
  std::string secret = "br_" + RandomHex(20);
  store::ApiKey k;
  k.hash = Sha256Hex(secret);
  k.id = "k_" + k.hash.substr(0, 12);
  k.role = role;
  k.user = user;
  k.label = label;
  k.created = now;
  BR_RETURN_IF_ERROR(store.PutKey(k));
  return secret;
}

}  // namespace burnrate::app
