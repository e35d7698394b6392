// Checkpointer on a SQLite store: a checkpoint of the current version
// (engine state version 4, file format 2: sections) loads; one of the
// previous version (3, one stream in format 1) loads too and is replaced by
// the current version at the next write, even when no event came since.
#include "app/checkpointer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "app/checkpoint_test_node.h"
#include "store/store.h"

namespace burnrate::app {
namespace {

namespace fs = std::filesystem;
using testing_node::kNow;

// Opened on `db`, checkpointing to <db>.checkpoint.
struct Node : testing_node::Node {
  Node(const std::string& db, const Clock& clock, model::Identity& identity,
       const model::PriceBook& prices)
      : testing_node::Node(store::OpenSqliteStore(db, {.synchronous_full = false}),
                           db + ".checkpoint", clock, identity, prices) {}
  void Submit(const std::string& user, int n) { testing_node::Node::Submit(user, 0, n); }
};

TEST(Checkpointer, PreviousVersionLoadsAndIsRewrittenAsTheCurrentOne) {
  fs::path dir = fs::path(testing::TempDir()) / ("checkpointer_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::string db = (dir / "b.db").string(), ckpt = db + ".checkpoint";
  FakeClock clock(kNow);
  model::Identity identity;
  model::PriceBook prices;
  store::Checkpoint v4;
  std::string v3_payload;
  {
    Node a(db, clock, identity, prices);
    a.Submit("u", 30);
    a.Submit("w", 12);
    ASSERT_TRUE(a.checkpointer->Write().ok());
    auto r = store::ReadCheckpointFile(ckpt);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    v4 = *r;
    v3_payload = a.engine->SaveState();
    EXPECT_EQ(v4.payload_version, engine::Engine::kCheckpointVersion);
    EXPECT_GE(v4.sections.size(), 3u);  // section 0 and the users', teams'... parts
  }
  {
    Node b(db, clock, identity, prices);  // from the current version
    EXPECT_EQ(b.loaded_through, v4.through.seq);
    EXPECT_EQ(b.Requests("u"), 30);
    ASSERT_TRUE(b.checkpointer->Write().ok());
    EXPECT_EQ(b.checkpointer->stats().written, 0);  // nothing new: nothing written
  }
  // The same state as version 3 in format 1, as written before sections.
  store::Checkpoint v3 = v4;
  v3.sections.clear();
  v3.payload_version = 3;
  v3.payload = v3_payload;
  {
    engine::EngineOptions eo;
    eo.board_refresh_ms = 0;
    v3.options_hash = engine::Engine(eo, clock).OptionsHash(3);
  }
  ASSERT_TRUE(store::WriteCheckpointFile(ckpt, v3, 1).ok());
  {
    Node c(db, clock, identity, prices);
    EXPECT_EQ(c.loaded_through, v4.through.seq);
    EXPECT_EQ(c.Requests("u"), 30);
    EXPECT_EQ(c.Requests("w"), 12);
    ASSERT_TRUE(c.checkpointer->Write().ok());
    EXPECT_EQ(c.checkpointer->stats().written, 1);  // rewritten, though nothing new came
    auto r = store::ReadCheckpointFile(ckpt);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->payload_version, engine::Engine::kCheckpointVersion);
    EXPECT_GE(r->sections.size(), 3u);
  }
  {
    Node e(db, clock, identity, prices);  // and that loads
    EXPECT_EQ(e.loaded_through, v4.through.seq);
    EXPECT_EQ(e.Requests("w"), 12);
  }
  // Version 4 without sections (one stream) is no state this engine reads:
  // ignored, full replay, the same totals.
  v3.payload_version = engine::Engine::kCheckpointVersion;
  ASSERT_TRUE(store::WriteCheckpointFile(ckpt, v3, 1).ok());
  {
    Node d(db, clock, identity, prices);
    EXPECT_EQ(d.loaded_through, -1);
    EXPECT_EQ(d.Requests("u"), 30);
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace burnrate::app
