#include "agents/source_follower.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include "agents/agent_event.h"
#include "agents/log_files.h"
#include "common/hash.h"

namespace burnrate::agents {
namespace {

namespace fs = std::filesystem;

void SleepMs(int ms, const std::atomic<bool>* stop) {
  for (int slept = 0; slept < ms && !(stop && stop->load()); slept += 50)
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(50, ms - slept)));
}

}  // namespace

SourceFollower::SourceFollower(FollowerOptions opts, claude::EventSink* sink)
    : opts_(std::move(opts)), sink_(sink), shipped_(opts_.shipped_path) {}

// A hash of every log file's path, size and modification time: a pass
// with the same signature as the last one has nothing new to read.
uint64_t SourceFollower::Signature(std::vector<std::string>* dirs) const {
  std::vector<std::string> files;
  for (const std::string& r : opts_.roots) {
    // Only where the reader looks: an OpenCode data directory also holds
    // large snapshot trees that are not logs.
    std::vector<std::string> places;
    std::error_code ec;
    for (const char* sub : {"/sessions", "/archived_sessions", "/tmp", "/opencode.db",
                            "/opencode.db-wal", "/storage/message"})
      if (fs::exists(r + sub, ec)) places.push_back(r + sub);
    if (places.empty()) places.push_back(r);
    for (const std::string& p : places)
      (void)FindLogFiles(p, {".jsonl", ".json", ".db", ".db-wal"}, "", &files);
  }
  std::string sig;
  std::set<std::string> parents;
  for (const std::string& f : files) {
    struct stat st;
    if (::stat(f.c_str(), &st) != 0) continue;
    sig += f + ':' + std::to_string(st.st_size) + ':' + std::to_string(st.st_mtim.tv_sec) + '.' +
           std::to_string(st.st_mtim.tv_nsec) + '\n';
    parents.insert(fs::path(f).parent_path().string());
  }
  dirs->assign(parents.begin(), parents.end());
  return Hash64(sig, 1);
}

Status SourceFollower::Flush(std::string* body, std::vector<EntryKey>* keys) {
  if (keys->empty()) return Status::OK();
  for (int attempt = 0;; ++attempt) {
    auto ack = sink_->Post(*body);
    if (ack.ok()) {
      stats_.shipped += keys->size();
      stats_.accepted += ack->accepted;
      stats_.duplicates += ack->duplicates;
      stats_.rejected += ack->rejected;
      if (stats_.first_rejection.empty()) stats_.first_rejection = ack->first_error;
      break;
    }
    bool stopping = opts_.stop && opts_.stop->load();
    if (ack.status().code() != Status::Code::kIOError || stopping ||
        (opts_.max_retries >= 0 && attempt >= opts_.max_retries))
      return ack.status();
    SleepMs(opts_.retry_delay_ms, opts_.stop);
  }
  BR_RETURN_IF_ERROR(shipped_.Append(*keys));
  body->clear();
  keys->clear();
  return Status::OK();
}

Status SourceFollower::Poll() {
  if (!loaded_) {
    BR_RETURN_IF_ERROR(shipped_.Load());
    loaded_ = true;
  }
  std::vector<std::string> dirs;
  uint64_t sig = Signature(&dirs);
  dirs_ = std::move(dirs);
  if (sig == last_signature_ && last_signature_ != 0) return Status::OK();
  BR_ASSIGN_OR_RETURN(claude::ScanResult scan, ScanSource(opts_.source, opts_.roots, {}));
  stats_.files = scan.files.size();
  stats_.entries = scan.entries.size();
  stats_.skipped_lines = scan.skipped.size();
  std::string body;
  std::vector<EntryKey> keys;
  for (const claude::UsageEntry& e : scan.entries) {
    EntryKey k{e.key_hi, e.key_lo};
    if (shipped_.Contains(k)) continue;
    AppendAgentEvent(opts_.source, e, scan.strings, opts_.user, opts_.client, &body);
    keys.push_back(k);
    if (keys.size() >= opts_.batch_events) BR_RETURN_IF_ERROR(Flush(&body, &keys));
  }
  BR_RETURN_IF_ERROR(Flush(&body, &keys));
  last_signature_ = sig;  // only after everything was shipped
  return Status::OK();
}

std::vector<std::string> SourceFollower::Directories() const {
  std::set<std::string> out(dirs_.begin(), dirs_.end());
  for (const std::string& r : opts_.roots) {
    std::error_code ec;
    if (fs::is_directory(r, ec))
      out.insert(r);
    else
      out.insert(fs::path(r).parent_path().string());
  }
  return {out.begin(), out.end()};
}

}  // namespace burnrate::agents
