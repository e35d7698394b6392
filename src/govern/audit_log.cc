#include "govern/audit_log.h"

#include <algorithm>

namespace burnrate::govern {

AuditLog::AuditLog(AuditStore* db, const Clock& clock) : db_(db), clock_(clock) {
  if (db_) writer_ = std::thread([this] { WriterLoop(); });
}

AuditLog::~AuditLog() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (writer_.joinable()) writer_.join();
}

void AuditLog::Append(AuditEntry e) {
  if (e.ts == 0) e.ts = clock_.NowMs();
  appended_.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard<std::mutex> l(mu_);
  if (!db_) {
    e.id = next_memory_id_++;
    memory_.push_back(std::move(e));
    if (memory_.size() > kMaxQueued)
      memory_.erase(memory_.begin(), memory_.begin() + kMaxQueued / 10);
    return;
  }
  if (queue_.size() >= kMaxQueued) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  queue_.push_back(std::move(e));
  ++enqueued_seq_;
  cv_.notify_one();
}

void AuditLog::WriterLoop() {
  std::unique_lock<std::mutex> l(mu_);
  while (true) {
    cv_.wait(l, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty() && stop_) return;
    std::vector<AuditEntry> batch;
    size_t n = std::min<size_t>(queue_.size(), 1000);
    batch.reserve(n);
    for (size_t i = 0; i < n; ++i) batch.push_back(std::move(queue_[i]));
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<long>(n));
    l.unlock();
    Status s = db_->AppendAudit(batch);
    l.lock();
    if (!s.ok()) last_error_ = s;
    written_seq_ += n;
    done_cv_.notify_all();
  }
}

Status AuditLog::AppendDurable(AuditEntry e) {
  Append(std::move(e));
  return Flush();
}

Status AuditLog::Flush() {
  std::unique_lock<std::mutex> l(mu_);
  if (!db_) return Status::OK();
  uint64_t target = enqueued_seq_;
  done_cv_.wait(l, [&] { return written_seq_ >= target; });
  Status s = last_error_;
  last_error_ = Status::OK();
  return s;
}

Result<std::vector<AuditEntry>> AuditLog::Query(const AuditFilter& f) {
  if (db_) {
    BR_RETURN_IF_ERROR(Flush());
    return db_->QueryAudit(f);
  }
  std::lock_guard<std::mutex> l(mu_);
  std::vector<AuditEntry> out;
  for (auto it = memory_.rbegin(); it != memory_.rend() && static_cast<int>(out.size()) < f.limit;
       ++it) {
    const AuditEntry& e = *it;
    if ((!f.actor.empty() && e.actor != f.actor) || (!f.action.empty() && e.action != f.action) ||
        (!f.subject.empty() && e.subject != f.subject) || (f.from > 0 && e.ts < f.from) ||
        (f.to > 0 && e.ts >= f.to) || (f.before_id > 0 && e.id >= f.before_id))
      continue;
    out.push_back(e);
  }
  return out;
}

}  // namespace burnrate::govern
