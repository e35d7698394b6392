// Contract tests for model/identity.h: CSV and JSON loading, errors with
// file and line, and the resolution rules.
#include "model/identity.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <thread>

namespace burnrate::model {
namespace {

Event Ev(std::string user, std::string team = "", std::string org = "") {
  Event e;
  e.user = std::move(user), e.team = std::move(team), e.org = std::move(org);
  return e;
}

TEST(Identity, CsvWithOrgsAndComments) {
  Identity id;
  ASSERT_TRUE(
      id.LoadCsv(
            "# directory\nuser,team,org\nalice, platform ,acme\nbob,web,acme\r\n\ncarol,web,\n",
            "dir.csv")
          .ok());
  EXPECT_EQ(id.size(), 3u);
  Event a = Ev("alice");
  id.Resolve(a);
  EXPECT_EQ(a.team, "platform");
  EXPECT_EQ(a.org, "acme");
  Event c = Ev("carol");
  id.Resolve(c);
  EXPECT_EQ(c.team, "web");
  EXPECT_EQ(c.org, "acme");  // the team's org, learnt from bob's row
}

TEST(Identity, CsvColumnsInAnyOrderAndEmailAlias) {
  Identity id;
  ASSERT_TRUE(id.LoadCsv("team,email\nsre,dan@example.com\n", "x.csv").ok());
  Event d = Ev("dan@example.com");
  id.Resolve(d);
  EXPECT_EQ(d.team, "sre");
  EXPECT_EQ(d.org, std::string(kDefaultOrg));
}

TEST(Identity, CsvErrorsNameFileAndLine) {
  Identity id;
  Status st = id.LoadCsv("name,group\nalice,x\n", "people.csv");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(st.message().find("people.csv:1"), std::string::npos) << st.message();
  st = id.LoadCsv("user,team\nalice,a\n\nbob,\n", "people.csv");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("people.csv:4"), std::string::npos) << st.message();
  // A failed load changes nothing.
  EXPECT_EQ(id.size(), 0u);
}

TEST(Identity, JsonArrayAndUsersObject) {
  Identity id;
  ASSERT_TRUE(
      id.LoadJson(R"([{"user":"u1","team":"t1","org":"o1"},{"user":"u2","team":"t1"}])", "a.json")
          .ok());
  ASSERT_TRUE(id.LoadJson(R"({"users":[{"user":"u3","team":"t3"}]})", "b.json").ok());
  EXPECT_EQ(id.size(), 3u);
  Event e = Ev("u2");
  id.Resolve(e);
  EXPECT_EQ(e.team, "t1");
  EXPECT_EQ(e.org, "o1");
}

TEST(Identity, JsonErrors) {
  Identity id;
  EXPECT_FALSE(id.LoadJson("{", "a.json").ok());
  EXPECT_FALSE(id.LoadJson(R"({"people":[]})", "a.json").ok());
  Status st = id.LoadJson(R"([{"user":"u1","team":"t1"},{"user":"u2"}])", "a.json");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("a.json"), std::string::npos);
  EXPECT_NE(st.message().find("entry 1"), std::string::npos) << st.message();
  EXPECT_FALSE(id.LoadJson(R"([{"user":5,"team":"t"}])", "a.json").ok());
  EXPECT_EQ(id.size(), 0u);
}

TEST(Identity, ResolutionRules) {
  Identity id;
  id.Upsert({"alice", "platform", "acme"});
  // The event's own team wins over the directory.
  Event own = Ev("alice", "research");
  id.Resolve(own);
  EXPECT_EQ(own.team, "research");
  EXPECT_EQ(own.org, std::string(kDefaultOrg));
  // Unknown users land in team "unassigned"; the event's org is kept.
  Event stranger = Ev("zed", "", "globex");
  id.Resolve(stranger);
  EXPECT_EQ(stranger.team, std::string(kUnassignedTeam));
  EXPECT_EQ(stranger.org, "globex");
  // The directory's org for a team beats the event's org.
  Event claims = Ev("alice", "", "other");
  id.Resolve(claims);
  EXPECT_EQ(claims.org, "acme");
  // Upsert moves a user.
  id.Upsert({"alice", "web", ""});
  Event moved = Ev("alice");
  id.Resolve(moved);
  EXPECT_EQ(moved.team, "web");
  EXPECT_EQ(moved.org, std::string(kDefaultOrg));
}

// The batch form resolves each event as Learn then Resolve one event at a
// time would, including events whose team comes from a user learned
// earlier in the same batch.
TEST(Identity, LearnAndResolveOfABatchEqualsEventByEvent) {
  std::vector<Event> batch = {
      Ev("alice"),                 // directory user, no team
      Ev("nina", "ml", "globex"),  // new user: learned with her team and its org
      Ev("nina"),                  // resolved through what the event before taught
      Ev("zed", "", "initech"),    // unknown, no team: unassigned, its org kept
      Ev("omar", "ml"),            // new user of a team whose org was just learned
      Ev("alice", "research"),     // the event's own team wins
      Ev("nina", "other", "x"),    // known user: the directory entry is not overridden
      Ev("nina"),
  };
  Identity one, many;
  for (Identity* id : {&one, &many}) id->Upsert({"alice", "platform", "acme"});
  std::vector<Event> expected = batch;
  for (Event& e : expected) {
    one.Learn(e);
    one.Resolve(e);
  }
  many.LearnAndResolve(batch);
  for (size_t i = 0; i < batch.size(); ++i) {
    EXPECT_EQ(batch[i].team, expected[i].team) << i;
    EXPECT_EQ(batch[i].org, expected[i].org) << i;
  }
  EXPECT_EQ(batch[2].team, "ml");
  EXPECT_EQ(batch[2].org, "globex");
  EXPECT_EQ(batch[4].org, "globex");
  EXPECT_EQ(batch[7].team, "ml");
  EXPECT_EQ(many.size(), one.size());
}

TEST(Identity, ListReportsOrgs) {
  Identity id;
  id.Upsert({"a", "t", "o"});
  id.Upsert({"b", "u", ""});
  auto list = id.List();
  ASSERT_EQ(list.size(), 2u);
  for (const auto& m : list) EXPECT_EQ(m.org, m.user == "a" ? "o" : std::string(kDefaultOrg));
}

TEST(Identity, LoadFilePicksFormatByExtension) {
  std::string dir = testing::TempDir();
  std::string csv = dir + "/ident_test.csv", json = dir + "/ident_test.json";
  std::ofstream(csv) << "user,team\nx,tx\n";
  std::ofstream(json) << R"([{"user":"y","team":"ty"}])";
  Identity id;
  ASSERT_TRUE(id.LoadFile(csv).ok());
  ASSERT_TRUE(id.LoadFile(json).ok());
  EXPECT_EQ(id.size(), 2u);
  Status st = id.LoadFile(dir + "/missing.csv");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("missing.csv"), std::string::npos);
  std::remove(csv.c_str());
  std::remove(json.c_str());
}

// Users are found through a flat index on the directory's keys: many
// users (the index and the map both grow), learned and upserted ones, and a
// user moved to another team all resolve as the directory says.
TEST(Identity, ManyUsersResolveThroughTheIndex) {
  Identity id;
  for (int i = 0; i < 5000; ++i)
    id.Upsert({"user" + std::to_string(i) + "@example.com", "t" + std::to_string(i % 37), ""});
  for (int i = 5000; i < 9000; ++i)
    id.Learn(Ev("user" + std::to_string(i) + "@example.com", "l" + std::to_string(i % 11), "o"));
  id.Upsert({"user42@example.com", "moved", ""});
  id.Learn(Ev("user43@example.com", "ignored"));  // the directory wins
  for (int i = 0; i < 9000; ++i) {
    Event e = Ev("user" + std::to_string(i) + "@example.com");
    id.Resolve(e);
    std::string want = i == 42    ? "moved"
                       : i < 5000 ? "t" + std::to_string(i % 37)
                                  : "l" + std::to_string(i % 11);
    ASSERT_EQ(e.team, want) << i;
  }
  Event stranger = Ev("nobody@example.com");
  id.Resolve(stranger);
  EXPECT_EQ(stranger.team, kUnassignedTeam);
  EXPECT_EQ(id.size(), 9000u);
}

TEST(Identity, ConcurrentReadersAndWriters) {
  Identity id;
  std::thread w([&] {
    for (int i = 0; i < 2000; ++i)
      id.Upsert({"u" + std::to_string(i), "t" + std::to_string(i % 7), "o"});
  });
  for (int i = 0; i < 2000; ++i) {
    Event e = Ev("u" + std::to_string(i % 50));
    id.Resolve(e);
    EXPECT_FALSE(e.team.empty());
  }
  w.join();
  EXPECT_EQ(id.size(), 2000u);
}

}  // namespace
}  // namespace burnrate::model
