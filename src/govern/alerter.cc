#include "govern/alerter.h"

#include <algorithm>

#include "common/json_writer.h"
#include "common/log.h"
#include "common/time_util.h"

namespace burnrate::govern {

// Finished webhook deliveries are kept this long in govern_deliveries.
constexpr int64_t kDeliveryLogDays = 90;

Alerter::Alerter(WebhookTransport& transport, const Clock& clock, AlerterOptions opts)
    : transport_(transport), clock_(clock), opts_(opts) {
  thread_ = std::thread([this] { Loop(); });
}

Alerter::~Alerter() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Alerter::SetWebhooks(std::vector<WebhookConfig> hooks) {
  std::lock_guard<std::mutex> l(mu_);
  hooks_ = std::move(hooks);
}

Status Alerter::AttachDb(AlertStore* db) {
  db_.store(db);
  if (!db) return Status::OK();
  PruneLog(clock_.NowMs());
  BR_ASSIGN_OR_RETURN(std::vector<DeliveryRecord> pending,
                      db->QueryDeliveries({.state = "pending", .limit = 100000}));
  std::lock_guard<std::mutex> l(mu_);
  auto now = std::chrono::steady_clock::now();
  for (DeliveryRecord& d : pending) jobs_.push_back(Job{std::move(d), now});
  cv_.notify_all();
  return Status::OK();
}

void Alerter::Enqueue(Alert a) {
  if (a.ts == 0) a.ts = clock_.NowMs();
  std::vector<WebhookConfig> hooks;
  {
    std::lock_guard<std::mutex> l(mu_);
    hooks = hooks_;
  }
  std::vector<Job> jobs;
  AlertStore* db = db_.load();
  auto now = std::chrono::steady_clock::now();
  for (const WebhookConfig& h : hooks) {
    if (!h.events.empty() && std::find(h.events.begin(), h.events.end(), a.kind) == h.events.end())
      continue;
    DeliveryRecord d;
    d.kind = a.kind, d.policy = a.policy, d.subject = a.subject, d.pct = a.pct, d.alert_ts = a.ts,
    d.text = a.text;
    d.url = h.url, d.slack = h.slack;
    d.created = d.updated = clock_.NowMs();
    // A db error leaves id 0: the delivery is still attempted, not logged.
    if (db) log::IfError(db->InsertDelivery(d), "alert.delivery_log_failed");
    jobs.push_back(Job{std::move(d), now});
  }
  std::lock_guard<std::mutex> l(mu_);
  for (Job& j : jobs) {
    if (!db) {
      j.d.id = next_id_++;
      log_.push_back(j.d);
      if (log_.size() > kLogSize) log_.pop_front();
    }
    jobs_.push_back(std::move(j));
  }
  cv_.notify_all();
}

std::string Alerter::SlackBody(const Alert& a) {
  JsonWriter w;
  w.BeginObject().Key("text").String(a.text).EndObject();
  return w.Take();
}

std::string Alerter::JsonBody(const Alert& a) {
  JsonWriter w;
  w.BeginObject();
  w.Key("source").String("burnrate");
  w.Key("kind").String(a.kind);
  w.Key("policy").String(a.policy);
  w.Key("subject").String(a.subject);
  w.Key("pct").Int(a.pct);
  w.Key("ts").String(FormatRfc3339(a.ts));
  w.Key("text").String(a.text);
  w.EndObject();
  return w.Take();
}

void Alerter::Loop() {
  std::unique_lock<std::mutex> l(mu_);
  while (!stop_) {
    if (jobs_.empty()) {
      cv_.wait(l, [&] { return stop_ || !jobs_.empty(); });
      continue;
    }
    auto it = std::min_element(jobs_.begin(), jobs_.end(),
                               [](const Job& a, const Job& b) { return a.due < b.due; });
    if (it->due > std::chrono::steady_clock::now()) {
      auto due = it->due;  // a copy: jobs_ may reallocate while we wait
      cv_.wait_until(l, due);
      continue;
    }
    Job job = std::move(*it);
    jobs_.erase(it);
    ++in_flight_;
    l.unlock();
    Attempt(job);
    l.lock();
    --in_flight_;
    cv_.notify_all();
  }
}

void Alerter::PruneLog(TimeMs now) {
  AlertStore* db = db_.load();
  TimeMs due = next_prune_ms_.load();
  if (!db || now < due || !next_prune_ms_.compare_exchange_strong(due, now + kHourMs)) return;
  log::IfError(db->PruneDeliveries(now - kDeliveryLogDays * kDayMs), "alert.delivery_prune_failed");
}

// Runs without mu_ held; re-queues the job when another attempt is due.
void Alerter::Attempt(Job& j) {
  DeliveryRecord& d = j.d;
  Alert a{d.kind, d.policy, d.subject, d.pct, d.alert_ts, d.text};
  Result<int> r = transport_.Post(d.url, d.slack ? SlackBody(a) : JsonBody(a));
  ++d.attempts;
  d.updated = clock_.NowMs();
  d.status = r.ok() ? *r : 0;
  bool delivered = r.ok() && *r >= 200 && *r < 300;
  d.last_error = delivered ? "" : !r.ok() ? r.status().message() : "HTTP " + std::to_string(*r);
  d.state = delivered ? "delivered" : d.attempts >= opts_.max_attempts ? "failed" : "pending";
  Record(d);
  if (d.state != "pending") PruneLog(d.updated);
  if (d.state == "pending") {
    int64_t backoff = std::min<int64_t>(
        int64_t{opts_.base_backoff_ms} << std::min(d.attempts - 1, 20), opts_.max_backoff_ms);
    j.due = std::chrono::steady_clock::now() + std::chrono::milliseconds(backoff);
    std::lock_guard<std::mutex> l(mu_);
    jobs_.push_back(std::move(j));
  }
}

void Alerter::Record(const DeliveryRecord& d) {
  if (AlertStore* db = db_.load()) {
    if (d.id > 0) log::IfError(db->UpdateDelivery(d), "alert.delivery_log_failed");
    return;
  }
  std::lock_guard<std::mutex> l(mu_);
  for (auto it = log_.rbegin(); it != log_.rend(); ++it)
    if (it->id == d.id) return (void)(*it = d);
}

static bool Matches(const DeliveryRecord& d, const DeliveryFilter& f) {
  return (f.state.empty() || d.state == f.state) && (f.kind.empty() || d.kind == f.kind) &&
         (f.subject.empty() || d.subject == f.subject) && (f.from <= 0 || d.created >= f.from) &&
         (f.to <= 0 || d.created < f.to) && (f.before_id <= 0 || d.id < f.before_id);
}

Result<std::vector<DeliveryRecord>> Alerter::Deliveries(const DeliveryFilter& f) const {
  if (AlertStore* db = db_.load()) return db->QueryDeliveries(f);
  std::lock_guard<std::mutex> l(mu_);
  std::vector<DeliveryRecord> out;
  for (auto it = log_.rbegin(); it != log_.rend() && int(out.size()) < f.limit; ++it)
    if (Matches(*it, f)) out.push_back(*it);
  return out;
}

bool Alerter::WaitIdle(int timeout_ms) {
  std::unique_lock<std::mutex> l(mu_);
  return cv_.wait_for(l, std::chrono::milliseconds(timeout_ms),
                      [&] { return jobs_.empty() && in_flight_ == 0; });
}

}  // namespace burnrate::govern
