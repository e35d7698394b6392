#include "govern/alerter.h"

#include <algorithm>

#include "common/json_writer.h"
#include "common/time_util.h"

namespace burnrate::govern {

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

void Alerter::Enqueue(Alert a) {
  if (a.ts == 0) a.ts = clock_.NowMs();
  std::lock_guard<std::mutex> l(mu_);
  uint64_t seq = next_seq_++;
  auto now = std::chrono::steady_clock::now();
  for (const WebhookConfig& h : hooks_) {
    if (!h.events.empty() && std::find(h.events.begin(), h.events.end(), a.kind) == h.events.end())
      continue;
    jobs_.push_back(Job{a, h, seq, 0, now});
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

// Runs without mu_ held; re-queues the job when another attempt is due.
void Alerter::Attempt(Job& j) {
  ++j.attempt;
  Result<int> r = transport_.Post(j.hook.url, j.hook.slack ? SlackBody(j.alert) : JsonBody(j.alert));
  Delivery d;
  d.alert_seq = j.seq, d.url = j.hook.url, d.kind = j.alert.kind, d.subject = j.alert.subject;
  d.attempt = j.attempt, d.ts = clock_.NowMs();
  if (r.ok()) d.status = *r;
  else d.error = r.status().message();
  d.delivered = r.ok() && *r >= 200 && *r < 300;
  if (!d.delivered && d.error.empty()) d.error = "HTTP " + std::to_string(d.status);
  d.final = d.delivered || j.attempt >= opts_.max_attempts;
  std::lock_guard<std::mutex> l(mu_);
  log_.push_back(d);
  if (log_.size() > kLogSize) log_.pop_front();
  if (!d.final) {
    int64_t backoff = std::min<int64_t>(int64_t{opts_.base_backoff_ms} << std::min(j.attempt - 1, 20),
                                        opts_.max_backoff_ms);
    j.due = std::chrono::steady_clock::now() + std::chrono::milliseconds(backoff);
    jobs_.push_back(std::move(j));
  }
}

std::vector<Delivery> Alerter::Deliveries() const {
  std::lock_guard<std::mutex> l(mu_);
  return {log_.begin(), log_.end()};
}

bool Alerter::WaitIdle(int timeout_ms) {
  std::unique_lock<std::mutex> l(mu_);
  return cv_.wait_for(l, std::chrono::milliseconds(timeout_ms),
                      [&] { return jobs_.empty() && in_flight_ == 0; });
}

}  // namespace burnrate::govern
