// Checkpoints of a node on a shared PostgreSQL log (docs/scale-out.md,
// "Checkpoints"): the checkpoint is cut at the position up to which the
// node has applied the log (its own blocks and the others'), never at the
// global last block, so a restart from it plus the replay after it sees
// every node's blocks. Runs against a PostgreSQL the test starts itself
// (store/postgres/pg_test_server.h); skipped where it is not installed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "app/checkpoint_test_node.h"
#include "store/postgres/pg_stores.h"
#include "store/postgres/pg_test_server.h"

namespace burnrate::app {
namespace {

namespace fs = std::filesystem;
using testing_node::kNow;

// One node process on the shared database.
struct Node : testing_node::Node {
  Node(const std::string& conninfo, const Clock& clock, model::Identity& identity,
       const model::PriceBook& prices, const std::string& checkpoint, int tail_interval_ms)
      : testing_node::Node(store::OpenPgStore(conninfo), checkpoint, clock, identity, prices,
                           {.tail_interval_ms = tail_interval_ms}) {}
};

class PgCheckpointTest : public testing::Test {
 protected:
  void SetUp() override {
    if (!store::PgTestServer::Get().unavailable().empty())
      GTEST_SKIP() << store::PgTestServer::Get().unavailable();
    const std::string name = testing::UnitTest::GetInstance()->current_test_info()->name();
    auto c = store::PgTestServer::Get().Database("pg_checkpoint_" + name);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    conninfo_ = *c;
    dir_ = fs::path(testing::TempDir()) / ("pg_checkpoint_" + std::to_string(getpid()) + name);
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Checkpoint(const std::string& node) { return (dir_ / (node + ".ckpt")).string(); }

  std::string conninfo_;
  fs::path dir_;
  FakeClock clock_{kNow};
  model::Identity identity_;
  model::PriceBook prices_;
};

// Node B's block lands below A's next block, before A's tail has applied
// it (no tail thread here: A reads the others' blocks only when made to).
// A's checkpoint, then A killed and restarted from it: B's events must be
// there. Before the cut moved to the applied position, the checkpoint named
// A's last block (the global last), which is above B's, and the restart
// replayed only what came after it: B's events were lost on A.
TEST_F(PgCheckpointTest, RestartFromACheckpointSeesTheBlocksItsTailHadNotApplied) {
  {
    Node a(conninfo_, clock_, identity_, prices_, Checkpoint("a"), 0);
    Node b(conninfo_, clock_, identity_, prices_, Checkpoint("b"), 0);
    a.Submit("alice", 0, 3);
    b.Submit("bob", 0, 2);
    a.Submit("alice", 3, 1);  // A's block above B's: the global last block
    ASSERT_TRUE(a.checkpointer->Write().ok());
    EXPECT_EQ(a.checkpointer->stats().written, 1);
    EXPECT_EQ(a.Requests("bob"), 2) << "the cut applies what the tail had not";
  }
  Node a(conninfo_, clock_, identity_, prices_, Checkpoint("a"), 0);
  EXPECT_GT(a.loaded_through, 0) << "the checkpoint was used";
  EXPECT_EQ(a.Requests("alice"), 4);
  EXPECT_EQ(a.Requests("bob"), 2);
  EXPECT_EQ(a.engine->events_applied(), 6);
}

// Blocks appended after the checkpoint, by this node and by another, are
// replayed at the restart, each once; a node that joins late (no
// checkpoint) catches up from the log, then follows it by its tail.
TEST_F(PgCheckpointTest, RestartReplaysEveryNodesBlocksAfterTheCutAndALateNodeCatchesUp) {
  {
    Node a(conninfo_, clock_, identity_, prices_, Checkpoint("a"), 20);
    Node b(conninfo_, clock_, identity_, prices_, Checkpoint("b"), 20);
    a.Submit("alice", 0, 5);
    b.Submit("bob", 0, 5);
    ASSERT_TRUE(a.checkpointer->Write().ok());
    a.Submit("alice", 5, 2);
    b.Submit("bob", 5, 3);
  }
  Node a(conninfo_, clock_, identity_, prices_, Checkpoint("a"), 20);
  EXPECT_GT(a.loaded_through, 0);
  EXPECT_EQ(a.Requests("alice"), 7);
  EXPECT_EQ(a.Requests("bob"), 8);

  Node late(conninfo_, clock_, identity_, prices_, Checkpoint("late"), 20);
  EXPECT_EQ(late.loaded_through, -1);
  EXPECT_EQ(late.Requests("alice"), 7);
  EXPECT_EQ(late.Requests("bob"), 8);
  ASSERT_TRUE(late.checkpointer->Write().ok());
  a.Submit("alice", 7, 1);
  for (int i = 0; i < 500 && late.Requests("alice") < 8; ++i) usleep(10'000);
  EXPECT_EQ(late.Requests("alice"), 8) << "the late node follows the log";
}

}  // namespace
}  // namespace burnrate::app
