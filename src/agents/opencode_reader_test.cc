// OpenCode: a database with the tables of opencode-ai 1.18.33 (its
// migration's CREATE TABLE statements, abridged to the columns read) and a
// legacy message file, built here, with exact token totals.
#include "agents/opencode_reader.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "agents/reader_test_util.h"

namespace burnrate::agents {
namespace {

namespace fs = std::filesystem;

std::string Message(const std::string& id, const std::string& role, int64_t in, int64_t out,
                    int64_t reasoning, int64_t cr, int64_t cw, double cost, bool completed) {
  std::string m =
      "{\"id\":\"" + id + "\",\"sessionID\":\"ses_1\",\"role\":\"" + role +
      "\",\"modelID\":\"claude-sonnet-4-5\",\"providerID\":\"anthropic\",\"cost\":" +
      std::to_string(cost) + ",\"tokens\":{\"input\":" + std::to_string(in) +
      ",\"output\":" + std::to_string(out) + ",\"reasoning\":" + std::to_string(reasoning) +
      ",\"cache\":{\"read\":" + std::to_string(cr) + ",\"write\":" + std::to_string(cw) +
      "}},\"path\":{\"cwd\":\"/home/dev/api\",\"root\":\"/home/dev/"
      "api\"},\"time\":{\"created\":1764000000000";
  if (completed) m += ",\"completed\":1764000005000";
  return m + "}}";
}

class OpenCodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("opencode_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_ / "storage/message/ses_1");
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / "opencode.db").c_str(), &db), SQLITE_OK);
    Exec(db,
         "CREATE TABLE session (id text PRIMARY KEY, project_id text NOT NULL, parent_id text, "
         "slug text NOT NULL, directory text NOT NULL, title text NOT NULL, version text NOT NULL, "
         "time_created integer NOT NULL, time_updated integer NOT NULL);"
         "CREATE TABLE message (id text PRIMARY KEY, session_id text NOT NULL, "
         "time_created integer NOT NULL, time_updated integer NOT NULL, data text NOT NULL);"
         "INSERT INTO session VALUES ('ses_1','p','','s','/home/dev/api','t','1.18.33',1,1);");
    Insert(db, "msg_1", Message("msg_1", "user", 0, 0, 0, 0, 0, 0, false));
    Insert(db, "msg_2", Message("msg_2", "assistant", 120, 300, 40, 5000, 800, 0.0421, true));
    Insert(db, "msg_3", Message("msg_3", "assistant", 10, 20, 0, 900, 0, 0, true));
    Insert(db, "msg_4", Message("msg_4", "assistant", 7, 7, 0, 0, 0, 0, false));  // still running
    sqlite3_close(db);
    // The same message as a pre-database file, and one only there.
    std::ofstream(dir_ / "storage/message/ses_1/msg_2.json")
        << Message("msg_2", "assistant", 120, 300, 40, 5000, 800, 0.0421, true);
    std::ofstream(dir_ / "storage/message/ses_1/msg_0.json")
        << Message("msg_0", "assistant", 1, 2, 3, 4, 5, 0, true);
  }
  void TearDown() override { fs::remove_all(dir_); }
  static void Exec(sqlite3* db, const char* sql) {
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  }
  static void Insert(sqlite3* db, const std::string& id, const std::string& data) {
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "INSERT INTO message VALUES (?, 'ses_1', 1, 1, ?)", -1, &st, nullptr);
    sqlite3_bind_text(st, 1, id.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, data.c_str(), -1, SQLITE_TRANSIENT);
    EXPECT_EQ(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
  }
  fs::path dir_;
};

TEST_F(OpenCodeTest, CompletedAssistantMessagesOnceEach) {
  auto r = ScanOpenCode({dir_.string()}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  model::TokenCounts t = testing::Sum(*r);
  EXPECT_EQ(r->entries.size(), 3u);  // msg_2 (db, not its file copy), msg_3, msg_0
  EXPECT_EQ(t.input, 120 + 10 + 1);
  EXPECT_EQ(t.output, (300 + 40) + 20 + (2 + 3));
  EXPECT_EQ(t.cache_read, 5000 + 900 + 4);
  EXPECT_EQ(t.cache_write, 800 + 5);
  EXPECT_EQ(r->stats.duplicates, 1u);
  int64_t cost = 0, with_cost = 0;
  for (const auto& e : r->entries) {
    EXPECT_EQ(r->strings[e.project], "api");
    if (e.line_cost_nanos >= 0) cost += e.line_cost_nanos, ++with_cost;
  }
  EXPECT_EQ(with_cost, 1);  // cost 0 is "not priced", left to burnrate
  EXPECT_EQ(cost, 42100000);
}

TEST_F(OpenCodeTest, NotADatabaseIsAnError) {
  std::ofstream(dir_ / "bogus.db") << "not sqlite";
  auto r = ScanOpenCode({(dir_ / "bogus.db").string()}, {});
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace burnrate::agents
