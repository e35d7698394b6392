// Alerter: governance alerts delivered to webhooks, with retries.
//
// The Governor decides *when* to alert (each threshold once per period, the
// first denial of a hard limit, a flagged user) and calls Enqueue(), which
// never blocks. A background thread posts each alert to every webhook that
// wants its kind, in the webhook's format:
//   slack  {"text": "..."}  (Slack, Mattermost, Teams incoming webhooks)
//   json   {"kind", "policy", "subject", "pct", "ts", "text", ...}
// A delivery fails on a transport error or a non-2xx answer and is retried
// with exponential backoff (base, 2x base, 4x base ... capped), up to
// max_attempts. Each delivery (an alert to one webhook) is one record in
// the delivery log, updated after every attempt: attempts, last status and
// error, state pending/delivered/failed. With an AlertStore attached the log
// is the govern_deliveries table (it survives restarts, and deliveries a
// previous run left pending are resumed); without, the newest kLogSize
// records in memory. Delivery goes through a WebhookTransport so tests and
// future transports can swap it; NewHttpClientTransport() uses http::Client.
// Thread-safety: all methods are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "govern/govern_stores.h"

namespace burnrate::govern {

class WebhookTransport {
 public:
  virtual ~WebhookTransport() = default;
  // POSTs a JSON body; returns the HTTP status, or IOError.
  virtual Result<int> Post(const std::string& url, const std::string& body) = 0;
};
// Posts with http::Client (one short-lived client per delivery).
std::unique_ptr<WebhookTransport> NewHttpClientTransport();

struct WebhookConfig {
  std::string url;
  bool slack = true;                // false: generic JSON body
  std::vector<std::string> events;  // kinds wanted; empty = all
};

struct Alert {
  std::string kind;     // "threshold", "deny", "flag"
  std::string policy;   // policy id, or "" (flags)
  std::string subject;  // "team:payments", "user:alice"
  int pct = 0;          // threshold alerts
  TimeMs ts = 0;
  std::string text;  // one human line
};

struct AlerterOptions {
  int max_attempts = 5;
  int base_backoff_ms = 500;
  int max_backoff_ms = 60000;
};

class Alerter {
 public:
  static constexpr size_t kLogSize = 1000;
  // `transport` and `clock` must outlive the alerter. Starts the thread.
  Alerter(WebhookTransport& transport, const Clock& clock, AlerterOptions opts = {});
  ~Alerter();  // stops; pending retries stay pending in the db (resumed by the next AttachDb) or
               // are dropped
  Alerter(const Alerter&) = delete;
  Alerter& operator=(const Alerter&) = delete;

  // Persists the delivery log in `db` (which must outlive the alerter) and
  // resumes the deliveries it holds as pending. Call before Enqueue().
  Status AttachDb(AlertStore* db);
  void SetWebhooks(std::vector<WebhookConfig> hooks);
  // One pending delivery per webhook that wants the alert's kind. Never
  // waits on the network; with a db it writes the pending rows first, so an
  // alert enqueued before a crash is still delivered after the restart.
  void Enqueue(Alert a);
  // Newest first; errors only from the db.
  Result<std::vector<DeliveryRecord>> Deliveries(const DeliveryFilter& f = {}) const;
  // Waits (up to timeout) until nothing is queued or waiting for a retry.
  bool WaitIdle(int timeout_ms);

  static std::string SlackBody(const Alert& a);
  static std::string JsonBody(const Alert& a);

 private:
  struct Job {
    DeliveryRecord d;
    std::chrono::steady_clock::time_point due;
  };
  void Loop();
  void Attempt(Job& j);
  void Record(const DeliveryRecord& d);  // db row or memory log; takes mu_ for memory
  // Drops finished deliveries older than kDeliveryLogDays from the db, at
  // most once an hour: at AttachDb and as deliveries finish.
  void PruneLog(TimeMs now);

  WebhookTransport& transport_;
  const Clock& clock_;
  const AlerterOptions opts_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<WebhookConfig> hooks_;      // guarded by mu_
  std::vector<Job> jobs_;                 // guarded by mu_
  std::atomic<AlertStore*> db_{nullptr};  // set by AttachDb while the worker may run
  std::atomic<TimeMs> next_prune_ms_{0};
  std::deque<DeliveryRecord> log_;  // guarded by mu_; without a db, by id
  int64_t next_id_ = 1;             // guarded by mu_; without a db
  int in_flight_ = 0;               // guarded by mu_
  bool stop_ = false;               // guarded by mu_
  std::thread thread_;
};

}  // namespace burnrate::govern
