// Engine checkpoints: when to trust one, and when to write one.
//
// Trust: the file must verify (store/checkpoint_file.cc: magic, format,
// lengths, checksum), carry the engine's state version and the hash of the
// engine options it was built with, and name a block that still exists in
// this database with the same newest arrival and event count (a checkpoint
// of another database, or of one restored from an older backup, names a
// block that is absent or different). Retention must not have touched a
// block past it: Purge folds blocks into rollups, which a restart from the
// checkpoint does not read, so a purge beyond the checkpoint would lose
// those events (Store::PurgedThrough). Anything else: a log line and a
// full replay.
//
// Write: the engine is copied on the applier thread between two commits
// (Ingestor::AtAppliedPosition), so the copy and its position agree: the
// copy holds exactly the events of the blocks up to that seq. Ingest waits
// for the copy (about a second for a few GB of buckets); boards do not.
// Compression and the fsynced write then run on this thread.
#include "app/checkpointer.h"

#include <chrono>

#include "common/log.h"
#include "engine/engine.h"
#include "ingest/ingest.h"
#include "store/store.h"

namespace burnrate::app {

using SteadyClock = std::chrono::steady_clock;  // durations for logs only

Checkpointer::Checkpointer(std::string path, engine::Engine& engine, ingest::Ingestor& ingestor,
                           store::Store& store, const Clock& clock)
    : path_(std::move(path)), engine_(engine), ingestor_(ingestor), store_(store), clock_(clock) {}

Checkpointer::~Checkpointer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

static int64_t Ignore(const std::string& path, const std::string& why) {
  log::Warn("checkpoint.ignored", {{"path", path}, {"reason", why}});
  return -1;
}

int64_t Checkpointer::Load() {
  int64_t seq = Open();
  return seq >= 0 && Restore() ? seq : -1;
}

int64_t Checkpointer::Open() {
  opened_at_ = SteadyClock::now();
  reader_.reset();
  Result<std::unique_ptr<store::CheckpointReader>> reader = store::CheckpointReader::Open(path_);
  if (!reader.ok()) {
    if (reader.status().code() == Status::Code::kNotFound) return -1;
    return Ignore(path_, reader.status().message());
  }
  const store::Checkpoint& c = (*reader)->header();
  // Version 3 (one stream, before sections) still loads; it is rewritten
  // as the current version at the next write (Restore leaves last_seq_).
  bool sections = (*reader)->sections() > 0;
  if (c.payload_version != engine::Engine::kCheckpointVersion && c.payload_version != 3)
    return Ignore(path_, "engine state version " + std::to_string(c.payload_version) +
                             ", want 3 or " + std::to_string(engine::Engine::kCheckpointVersion));
  if (c.payload_version == engine::Engine::kCheckpointVersion && !sections)
    return Ignore(path_, "engine state version " + std::to_string(c.payload_version) +
                             " in a file without sections");
  if (c.options_hash != engine_.OptionsHash(c.payload_version))
    return Ignore(path_, "engine options changed (keep_hours, session gap or outcome weights)");
  if (c.through.seq <= 0) return Ignore(path_, "no block position");
  Result<store::BlockMark> block = store_.FindBlock(c.through.seq);
  if (!block.ok() || !(*block == c.through))
    return Ignore(path_,
                  "block " + std::to_string(c.through.seq) +
                      " is not the one the checkpoint counted (another or an older database?)");
  Result<int64_t> purged = store_.PurgedThrough();
  if (!purged.ok()) return Ignore(path_, purged.status().message());
  if (*purged >= c.through.seq)
    return Ignore(path_, "retention purged blocks after the checkpoint");
  reader_ = std::move(*reader);
  opened_seq_ = c.through.seq;
  return opened_seq_;
}

bool Checkpointer::Restore() {
  if (!reader_) return false;
  // Streamed: the payload is decompressed straight into the engine's
  // vectors (no copy of the file or of the payload beside them), and the
  // engine keeps its state unless the checksum, read at the end, matches.
  // Version 4: its sections decode on kRestoreThreads threads at once,
  // each frame checked as it ends (FinishSection).
  store::CheckpointReader& rd = *reader_;
  uint32_t version = rd.header().payload_version;
  Status st;
  if (version == engine::Engine::kCheckpointVersion) {
    engine::Engine::SectionSource src;
    for (size_t i = 0; i < rd.sections(); ++i) src.sizes.push_back(rd.section_size(i));
    src.read = [&](size_t i, char* p, size_t n) { return rd.ReadSection(i, p, n); };
    src.finish = [&](size_t i) { return rd.FinishSection(i); };
    st = engine_.RestoreSections(src, kRestoreThreads);
  } else {
    st = engine_.RestoreState(
        rd.payload_size(), [&](char* p, size_t n) { return rd.Read(p, n); },
        [&] { return rd.Finish(); });
  }
  int64_t bytes = int64_t(rd.payload_size());
  reader_.reset();
  if (!st.ok()) return Ignore(path_, st.message()), false;
  if (version == engine::Engine::kCheckpointVersion) {
    std::lock_guard lock(write_mu_);
    last_seq_ = opened_seq_;
  }
  log::Info(
      "checkpoint.loaded",
      {{"path", path_},
       {"seq", opened_seq_},
       {"version", int64_t(version)},
       {"events", engine_.events_applied()},
       {"bytes", bytes},
       {"ms",
        int64_t(
            std::chrono::duration<double, std::milli>(SteadyClock::now() - opened_at_).count())}});
  return true;
}

Status Checkpointer::Write() {
  std::lock_guard write_lock(write_mu_);
  auto t0 = SteadyClock::now();
  store::Checkpoint c;
  ingestor_.AtAppliedPosition([&](const store::BlockMark& at) {
    c.through = at;
    if (at.seq > 0 && at.seq != last_seq_) c.sections = engine_.SaveSections();
  });
  if (c.sections.empty()) return Status::OK();  // nothing new, or no known position
  int64_t bytes = 0;
  for (const std::string& sec : c.sections) bytes += int64_t(sec.size());
  c.payload_version = engine::Engine::kCheckpointVersion;
  c.options_hash = engine_.OptionsHash();
  c.written_at = clock_.NowMs();
  Status st = store::WriteCheckpointFile(path_, c);
  double seconds = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  std::lock_guard lock(mu_);
  if (!st.ok()) {
    stats_.failed++;
    log::Error("checkpoint.write_failed", {{"path", path_}, {"error", st.message()}});
    return st;
  }
  last_seq_ = c.through.seq;
  stats_.written++;
  stats_.last_seq = c.through.seq, stats_.last_bytes = bytes, stats_.last_seconds = seconds;
  log::Info(
      "checkpoint.written",
      {{"path", path_}, {"seq", c.through.seq}, {"bytes", bytes}, {"ms", int64_t(seconds * 1000)}});
  return st;
}

void Checkpointer::Start(int64_t interval_s) {
  if (interval_s <= 0 || thread_.joinable()) return;
  enabled_ = true;
  thread_ = std::thread([this, interval_s] {
    pthread_setname_np(pthread_self(), "br-checkpoint");
    Run(interval_s);
  });
}

void Checkpointer::Run(int64_t interval_s) {
  for (;;) {
    // First at once: after a full replay (or a long tail) the next restart
    // should not have to do it again.
    (void)Write();  // logged; the next interval tries again
    {
      std::unique_lock lock(mu_);
      if (cv_.wait_for(lock, std::chrono::seconds(interval_s), [&] { return stopping_; })) return;
    }
  }
}

void Checkpointer::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (enabled_) (void)Write();  // logged
}

Checkpointer::Stats Checkpointer::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace burnrate::app
