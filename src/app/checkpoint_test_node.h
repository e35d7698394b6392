// One node for the Checkpointer tests (checkpointer_test.cc on SQLite,
// pg_checkpoint_test.cc on a shared PostgreSQL log): store, engine,
// ingestor and checkpointer, started as `serve` starts them (load the
// checkpoint, recover from it, start). Destroyed as by kill -9: the
// ingestor stops, no checkpoint is written.
#pragma once

#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <string>

#include "app/checkpointer.h"
#include "common/time_util.h"
#include "engine/engine.h"
#include "ingest/ingest.h"
#include "model/identity.h"
#include "model/price_book.h"
#include "store/store.h"

namespace burnrate::app::testing_node {

inline const TimeMs kNow = *ParseRfc3339("2026-03-21T14:30:00Z");

struct Node {
  Node(Result<std::unique_ptr<store::Store>> opened, const std::string& checkpoint,
       const Clock& clock, model::Identity& identity, const model::PriceBook& prices,
       ingest::IngestOptions io = {}) {
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    store = std::move(*opened);
    engine::EngineOptions eo;
    eo.board_refresh_ms = 0;
    engine = std::make_unique<engine::Engine>(eo, clock);
    ingestor = std::make_unique<ingest::Ingestor>(io, *store, *engine, identity, prices, clock);
    checkpointer = std::make_unique<Checkpointer>(checkpoint, *engine, *ingestor, *store, clock);
    loaded_through = checkpointer->Load();
    Status st = ingestor->Recover(loaded_through);
    EXPECT_TRUE(st.ok()) << st.ToString();
    ingestor->Start();
  }
  ~Node() { ingestor->Stop(); }

  // Events user<first> .. user<first + n - 1>, each one request; all new.
  void Submit(const std::string& user, int first, int n) {
    std::string body;
    for (int i = first; i < first + n; ++i)
      body += R"({"id":")" + user + std::to_string(i) + R"(","user":")" + user +
              R"(","model":"claude-sonnet-4-5","input_tokens":100})" + "\n";
    std::promise<Result<ingest::IngestResult>> p;
    ingestor->SubmitNdjson(body, [&](Result<ingest::IngestResult> r) { p.set_value(r); });
    auto r = p.get_future().get();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->accepted, n);
    ingestor->WaitApplied();
  }

  int64_t Requests(const std::string& user) {
    auto s =
        engine->Usage(engine::Entity::kUser, user, {0, kNow + kDayMs}, engine::Granularity::kDay);
    return s.ok() ? s->totals.requests : 0;
  }

  std::unique_ptr<store::Store> store;
  std::unique_ptr<engine::Engine> engine;
  std::unique_ptr<ingest::Ingestor> ingestor;
  std::unique_ptr<Checkpointer> checkpointer;
  int64_t loaded_through = -1;
};

}  // namespace burnrate::app::testing_node
