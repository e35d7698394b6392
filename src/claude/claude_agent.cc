#include "claude/claude_agent.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <set>
#include <thread>
#include <utility>

#include "claude/change_waiter.h"
#include "claude/usage_event.h"

namespace burnrate::claude {
namespace {

bool Retryable(const Status& s) { return s.code() == Status::Code::kIOError; }

void SleepMs(int ms, const std::atomic<bool>* stop) {
  for (int slept = 0; slept < ms && !(stop && stop->load()); slept += 50) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(50, ms - slept)));
  }
}

}  // namespace

ClaudeAgent::ClaudeAgent(AgentOptions opts, EventSink* sink)
    : opts_(std::move(opts)), sink_(sink), checkpoint_(opts_.checkpoint_path) {
  parser_.set_extract_prompts(true);
}

ClaudeAgent::Tracked& ClaudeAgent::Track(const TranscriptFile& f) {
  auto [it, inserted] = files_.try_emplace(f.path);
  if (inserted) {
    it->second.ctx.file = static_cast<uint32_t>(files_.size() - 1);
    it->second.ctx.project = strings_.Intern(f.project);
    std::string stem = std::filesystem::path(f.path).stem().string();
    it->second.ctx.session_fallback = strings_.Intern(stem);
    it->second.ctx.key_prefix = f.rel;
  }
  return it->second;
}

Status ClaudeAgent::ReadNew(const std::string& path, Tracked* t, ParseOutput* out,
                            FilePosition* next) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return Status::OK();  // vanished: ignore
  *next = t->pos;
  if (next->inode != st.st_ino || static_cast<uint64_t>(st.st_size) < next->offset) {
    *next = FilePosition{static_cast<uint64_t>(st.st_ino), 0, 1};  // new, replaced or truncated
  }
  if (static_cast<uint64_t>(st.st_size) == next->offset) return Status::OK();
  out->strings = &strings_;
  return ParseTranscriptFile(path, next->offset, next->next_line, false, t->ctx, &parser_, out,
                             &next->offset, &next->next_line);
}

Status ClaudeAgent::Offer(const ParseOutput& out, const FilePosition* already_shipped, Tracked* t,
                          std::string* body, size_t* pending) {
  stats_.skipped_lines += out.skipped.size();
  size_t p = 0;
  for (const UsageEntry& e : out.entries) {
    while (p < out.prompts.size() && out.prompts[p].first < e.line)
      t->pending_prompt = out.prompts[p++].second;
    model::PromptFeatures prompt = std::exchange(t->pending_prompt, model::PromptFeatures{});
    if (!Deduplicator::Counts(dedup_.Offer(e))) continue;
    if (already_shipped && e.line < already_shipped->next_line) continue;
    AppendUsageEvent(e, strings_, opts_.user, body, &prompt, opts_.client);
    if (++*pending >= opts_.batch_events) BR_RETURN_IF_ERROR(Flush(body, pending));
  }
  while (p < out.prompts.size()) t->pending_prompt = out.prompts[p++].second;
  return Status::OK();
}

Status ClaudeAgent::Flush(std::string* body, size_t* pending) {
  if (*pending == 0) return Status::OK();
  for (int attempt = 0;; ++attempt) {
    auto ack = sink_->Post(*body);
    if (ack.ok()) {
      stats_.shipped += *pending;
      stats_.accepted += ack->accepted;
      stats_.duplicates += ack->duplicates;
      stats_.rejected += ack->rejected;
      if (stats_.first_rejection.empty()) stats_.first_rejection = ack->first_error;
      break;
    }
    bool stopping = opts_.stop && opts_.stop->load();
    if (!Retryable(ack.status()) || stopping ||
        (opts_.max_retries >= 0 && attempt >= opts_.max_retries))
      return ack.status();
    SleepMs(opts_.retry_delay_ms, opts_.stop);
  }
  body->clear();
  *pending = 0;
  return Status::OK();
}

Status ClaudeAgent::Commit(const std::vector<std::pair<std::string, FilePosition>>& positions) {
  for (const auto& [path, pos] : positions) {
    files_[path].pos = pos;
    checkpoint_.files()[path] = pos;
  }
  if (opts_.checkpoint_path.empty() || positions.empty()) return Status::OK();
  return checkpoint_.Save();
}

Status ClaudeAgent::Init() {
  Status s = InitImpl();
  dirty_ = !s.ok();
  return s;
}

Status ClaudeAgent::Poll() {
  if (dirty_) return Init();  // a failed pass left unshipped entries in the dedup state
  Status s = PollImpl();
  dirty_ = !s.ok();
  return s;
}

Status ClaudeAgent::InitImpl() {
  dedup_ = Deduplicator();
  if (!opts_.checkpoint_path.empty() && !loaded_) {
    BR_RETURN_IF_ERROR(checkpoint_.Load());
    loaded_ = true;
  }
  BR_ASSIGN_OR_RETURN(std::vector<TranscriptFile> found, FindTranscripts(opts_.roots));
  struct Pass {
    std::string path;
    ParseOutput out;
    FilePosition end;
    const FilePosition* shipped = nullptr;
    Tracked* tracked = nullptr;
  };
  std::vector<Pass> passes(found.size());
  for (size_t i = 0; i < found.size(); ++i) {
    Tracked& t = Track(found[i]);
    t.pos = FilePosition{};  // re-read from the start to rebuild the dedup state
    t.pending_prompt = model::PromptFeatures{};
    passes[i].path = found[i].path;
    passes[i].tracked = &t;
    BR_RETURN_IF_ERROR(ReadNew(found[i].path, &t, &passes[i].out, &passes[i].end));
    auto cp = checkpoint_.files().find(found[i].path);
    if (cp != checkpoint_.files().end() && cp->second.inode == passes[i].end.inode &&
        cp->second.offset <= passes[i].end.offset) {
      passes[i].shipped = &cp->second;
    }
  }
  std::stable_sort(passes.begin(), passes.end(),
                   [](const Pass& a, const Pass& b) { return a.out.earliest < b.out.earliest; });
  std::string body;
  size_t pending = 0;
  std::vector<std::pair<std::string, FilePosition>> positions;
  for (Pass& p : passes) {
    BR_RETURN_IF_ERROR(Offer(p.out, p.shipped, p.tracked, &body, &pending));
    positions.emplace_back(p.path, p.end);
    ParseOutput().entries.swap(p.out.entries);
  }
  BR_RETURN_IF_ERROR(Flush(&body, &pending));
  stats_.files = found.size();
  return Commit(positions);
}

Status ClaudeAgent::PollImpl() {
  BR_ASSIGN_OR_RETURN(std::vector<TranscriptFile> found, FindTranscripts(opts_.roots));
  std::string body;
  size_t pending = 0;
  std::vector<std::pair<std::string, FilePosition>> positions;
  for (const TranscriptFile& f : found) {
    Tracked& t = Track(f);
    ParseOutput out;
    FilePosition next;
    BR_RETURN_IF_ERROR(ReadNew(f.path, &t, &out, &next));
    if (next.offset == t.pos.offset && next.inode == t.pos.inode) continue;
    BR_RETURN_IF_ERROR(Offer(out, nullptr, &t, &body, &pending));
    positions.emplace_back(f.path, next);
  }
  BR_RETURN_IF_ERROR(Flush(&body, &pending));
  stats_.files = found.size();
  return Commit(positions);
}

std::vector<std::string> ClaudeAgent::Directories() const {
  std::set<std::string> dirs;
  for (const std::string& r : opts_.roots) {
    std::error_code ec;
    dirs.insert(std::filesystem::is_directory(r + "/projects", ec) ? r + "/projects" : r);
  }
  for (const auto& [path, t] : files_)
    dirs.insert(std::filesystem::path(path).parent_path().string());
  return {dirs.begin(), dirs.end()};
}

Status RunAgentLoop(ClaudeAgent* agent, const std::atomic<bool>& stop, int poll_ms) {
  ChangeWaiter waiter;
  while (!stop.load()) {
    Status s = agent->Poll();
    if (!s.ok() && !Retryable(s)) return s;
    waiter.Watch(agent->Directories());  // new project directories are picked up here
    waiter.Wait(poll_ms, stop);
  }
  return Status::OK();
}

}  // namespace burnrate::claude
