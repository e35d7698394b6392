// Gives `burnrate eval-detection` the real ingest path: the labelled events
// go through the ingestor (identity, cost, de-duplication, a durable commit
// to a scratch SQLite file) and reach the detectors as its listener, exactly
// as on a server.
#include <unistd.h>

#include <filesystem>

#include "cli/cli.h"
#include "cli/eval_command.h"
#include "detect/detect.h"
#include "engine/engine.h"
#include "ingest/ingest.h"
#include "model/identity.h"
#include "model/price_book.h"
#include "model/prompt_features.h"
#include "store/store.h"

namespace burnrate::cli {
namespace {

struct Pipeline {
  // The simulation brings its own time; arrival follows the newest event of
  // each batch, as it would for a live stream.
  FakeClock clock;
  std::string dir;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<engine::Engine> engine;
  model::Identity identity;
  model::PriceBook prices;  // built-in
  std::unique_ptr<ingest::Ingestor> ingestor;
  ~Pipeline() {
    if (ingestor) ingestor->Stop();
    ingestor.reset();
    store.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

Result<IngestFn> MakeIngestPath(detect::DetectionEngine& detection, const Clock& sim_clock) {
  auto p = std::make_shared<Pipeline>();
  p->clock.Set(sim_clock.NowMs());
  const Clock& clock = p->clock;
  p->dir = (std::filesystem::temp_directory_path() / ("burnrate-eval-" + std::to_string(getpid())))
               .string();
  std::filesystem::create_directories(p->dir);
  // Throughput over durability: a scratch file that is deleted afterwards.
  BR_ASSIGN_OR_RETURN(p->store,
                      store::OpenSqliteStore(p->dir + "/eval.db", {.synchronous_full = false}));
  p->engine = std::make_unique<engine::Engine>(engine::EngineOptions{}, clock);
  ingest::IngestOptions io;
  io.limits.max_future_ms = 400 * kDayMs;  // the simulation's clock is its own
  io.limits.retention_ms = 400 * kDayMs;
  io.prompt_features = model::ComputePromptFeatures;
  p->ingestor =
      std::make_unique<ingest::Ingestor>(io, *p->store, *p->engine, p->identity, p->prices, clock);
  p->ingestor->AddListener([&detection](std::span<const model::Event> events) {
    for (const auto& e : events) detection.Observe(e);
  });
  p->ingestor->Start();
  return IngestFn([p](std::vector<model::Event> events) -> Status {
    size_t n = events.size();
    TimeMs newest = 0;
    for (const auto& e : events) newest = std::max(newest, e.ts);
    if (newest > p->clock.NowMs()) p->clock.Set(newest);
    BR_ASSIGN_OR_RETURN(ingest::IngestResult r, p->ingestor->IngestSync(std::move(events)));
    if (!r.rejected.empty())
      return Status::Internal("ingest rejected a simulated event: " + r.rejected[0].error);
    if (size_t(r.accepted + r.duplicates) != n)
      return Status::Internal("ingest lost simulated events");
    return Status::OK();
  });
}

}  // namespace

void InstallEvalIngestPath() { SetIngestPathFactory(MakeIngestPath); }

}  // namespace burnrate::cli
