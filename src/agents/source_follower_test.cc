// SourceFollower against an in-memory sink: ships each entry once, across
// passes and restarts, and records nothing the server did not acknowledge.
#include "agents/source_follower.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "agents/reader_test_util.h"

namespace burnrate::agents {
namespace {

namespace fs = std::filesystem;

class FakeSink : public claude::EventSink {
 public:
  Result<claude::SinkAck> Post(const std::string& ndjson) override {
    if (fail) return Status::IOError("server down");
    claude::SinkAck ack;
    for (size_t p = 0; (p = ndjson.find("\"id\":\"", p)) != std::string::npos; ++p) {
      std::string id = ndjson.substr(p + 6, ndjson.find('"', p + 6) - p - 6);
      (ids.insert(id).second ? ack.accepted : ack.duplicates)++;
    }
    body += ndjson;
    return ack;
  }
  bool fail = false;
  std::set<std::string> ids;
  std::string body;
};

class FollowerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("follower_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    fs::copy(testing::Fixture("codex-traps"), dir_ / "codex", fs::copy_options::recursive);
  }
  void TearDown() override { fs::remove_all(dir_); }
  FollowerOptions Opts() {
    FollowerOptions o;
    o.source = Source::kCodex;
    o.roots = {(dir_ / "codex").string()};
    o.user = "dev@example.com";
    o.client = "m-test";
    o.shipped_path = (dir_ / "codex.shipped").string();
    o.batch_events = 3;
    o.max_retries = 0;
    return o;
  }
  fs::path dir_;
};

TEST_F(FollowerTest, ShipsEachEntryOnceAcrossPassesAndRestarts) {
  FakeSink sink;
  {
    SourceFollower f(Opts(), &sink);
    ASSERT_TRUE(f.Poll().ok());
    EXPECT_EQ(f.stats().shipped, 8u);
    ASSERT_TRUE(f.Poll().ok());  // nothing changed
    EXPECT_EQ(f.stats().shipped, 8u);
  }
  EXPECT_NE(sink.body.find("\"source\":\"codex\""), std::string::npos);
  EXPECT_NE(sink.body.find("\"client\":\"m-test\""), std::string::npos);
  SourceFollower again(Opts(), &sink);  // a restarted agent
  ASSERT_TRUE(again.Poll().ok());
  EXPECT_EQ(again.stats().shipped, 0u);
  EXPECT_EQ(sink.ids.size(), 8u);
}

TEST_F(FollowerTest, UnacknowledgedBatchesAreShippedLater) {
  FakeSink sink;
  sink.fail = true;
  SourceFollower f(Opts(), &sink);
  EXPECT_EQ(f.Poll().code(), Status::Code::kIOError);
  sink.fail = false;
  ASSERT_TRUE(f.Poll().ok());
  EXPECT_EQ(sink.ids.size(), 8u);
  EXPECT_EQ(f.stats().duplicates, 0u);
}

TEST_F(FollowerTest, NewTurnsAreShippedOnTheNextPass) {
  FakeSink sink;
  SourceFollower f(Opts(), &sink);
  ASSERT_TRUE(f.Poll().ok());
  fs::path p;
  for (const auto& e : fs::recursive_directory_iterator(dir_ / "codex"))
    if (e.path().string().find("0000p.jsonl") != std::string::npos) p = e.path();
  std::ofstream(p, std::ios::app)
      << "{\"timestamp\":\"2026-11-20T15:00:00.000Z\",\"type\":\"event_msg\",\"payload\":{\"type\":"
         "\"token_count\",\"info\":{\"total_token_usage\":{\"input_tokens\":2000,\"cached_input_"
         "tokens\":"
         "500,\"output_tokens\":80,\"reasoning_output_tokens\":5,\"total_tokens\":2080}}}}\n";
  ASSERT_TRUE(f.Poll().ok());
  EXPECT_EQ(sink.ids.size(), 9u);
  EXPECT_NE(sink.body.find("\"input_tokens\":200,\"output_tokens\":10,\"cache_read_tokens\":100"),
            std::string::npos);
}

}  // namespace
}  // namespace burnrate::agents
