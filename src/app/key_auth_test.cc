#include "app/key_auth.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "app/app.h"
#include "store/store.h"

namespace burnrate::app {
namespace {

namespace fs = std::filesystem;

class KeyAuthTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(testing::TempDir()) /
           ("key_auth_" + std::to_string(getpid()) + "_" +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto s = store::OpenSqliteStore((dir_ / "db").string());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Create(const std::string& role, const std::string& user = "") {
    auto k = CreateApiKey(*store_, role, "t", user, 0);
    EXPECT_TRUE(k.ok());
    return *k;
  }
  std::string IdOf(const std::string& secret) {
    auto keys = store_->ListKeys();
    for (const auto& k : *keys)
      if (KeyAuth(*store_, clock_).Authenticate(secret).ok() && k.hash.size() == 64 &&
          KeyAuth(*store_, clock_).Authenticate(secret)->principal == k.id)
        return k.id;
    return "";
  }

  fs::path dir_;
  FakeClock clock_{1'000'000};
  std::unique_ptr<store::Store> store_;
};

TEST_F(KeyAuthTest, RolesAndPrincipals) {
  KeyAuth auth(*store_, clock_);
  std::string admin = Create("admin"), self = Create("self", "ada@corp");
  auto a = auth.Authenticate(admin);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->role, http::Role::kAdmin);
  EXPECT_TRUE(a->principal.starts_with("k_"));
  auto s = auth.Authenticate(self);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->role, http::Role::kSelf);
  EXPECT_EQ(s->principal, "ada@corp");
  EXPECT_EQ(auth.Authenticate("br_nope").status().code(), Status::Code::kUnauthenticated);
}

// A key revoked through another connection to the database (as
// `burnrate keys revoke --db` does from another process) stops working once
// the cached answer is a TTL old, and at once after Invalidate().
TEST_F(KeyAuthTest, RevocationFromAnotherConnectionTakesEffectWithinTtl) {
  KeyAuth auth(*store_, clock_, 1000);
  std::string admin = Create("admin");
  std::string id = IdOf(admin);
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(auth.Authenticate(admin).ok());
  auto other = store::OpenSqliteStore((dir_ / "db").string());
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE((*other)->RevokeKey(id).ok());
  clock_.Advance(999);
  EXPECT_TRUE(auth.Authenticate(admin).ok());  // still within the TTL
  clock_.Advance(1);
  EXPECT_FALSE(auth.Authenticate(admin).ok());
}

TEST_F(KeyAuthTest, RefreshDropsRevokedKeysBeforeRequestsAsk) {
  KeyAuth auth(*store_, clock_, 1000);
  std::string viewer = Create("viewer");
  ASSERT_TRUE(auth.Authenticate(viewer).ok());
  ASSERT_TRUE(store_->RevokeKey(IdOf(viewer)).ok());
  clock_.Advance(600);
  auth.Refresh();  // older than ttl/2: asked again, and found revoked
  EXPECT_FALSE(auth.Authenticate(viewer).ok());
}

TEST_F(KeyAuthTest, InvalidateAppliesAtOnce) {
  KeyAuth auth(*store_, clock_, 60'000);
  std::string ingest = Create("ingest");
  ASSERT_TRUE(auth.Authenticate(ingest).ok());
  ASSERT_TRUE(store_->RevokeKey(IdOf(ingest)).ok());
  auth.Invalidate();
  EXPECT_FALSE(auth.Authenticate(ingest).ok());
}

TEST_F(KeyAuthTest, AClockStepBackDoesNotExtendTrust) {
  KeyAuth auth(*store_, clock_, 1000);
  std::string admin = Create("admin");
  ASSERT_TRUE(auth.Authenticate(admin).ok());
  ASSERT_TRUE(store_->RevokeKey(IdOf(admin)).ok());
  clock_.Advance(-5000);
  EXPECT_FALSE(auth.Authenticate(admin).ok());
}

// The real store behind a switch that makes every read fail as a lost
// database connection does (IOError), as while PostgreSQL restarts.
class UnreachableKeyStore : public store::KeyStore {
 public:
  explicit UnreachableKeyStore(store::KeyStore& real) : real_(real) {}
  bool down = false;
  Status PutKey(const store::ApiKey& key) override { return real_.PutKey(key); }
  Result<store::ApiKey> FindKeyByHash(const std::string& hash) override {
    if (down) return Status::IOError("server closed the connection unexpectedly");
    return real_.FindKeyByHash(hash);
  }
  Result<std::vector<store::ApiKey>> ListKeys() override { return real_.ListKeys(); }
  Status RevokeKey(const std::string& id) override { return real_.RevokeKey(id); }

 private:
  store::KeyStore& real_;
};

// A database outage neither locks out the keys confirmed before it (boards
// keep serving) nor lets an unchecked key in: that one is 503, not 401.
TEST_F(KeyAuthTest, KnownKeysOutliveAnUnreachableStore) {
  UnreachableKeyStore keys(*store_);
  KeyAuth auth(keys, clock_, 1000);
  std::string viewer = Create("viewer"), other = Create("viewer");
  ASSERT_TRUE(auth.Authenticate(viewer).ok());
  keys.down = true;
  clock_.Advance(5000);
  auth.Refresh();  // cannot ask: the entry stays
  auto a = auth.Authenticate(viewer);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->role, http::Role::kViewer);
  EXPECT_EQ(auth.Authenticate(other).status().code(), Status::Code::kUnavailable);
  EXPECT_EQ(auth.Authenticate("br_nope").status().code(), Status::Code::kUnavailable);
  keys.down = false;  // back: the store's answers count again
  ASSERT_TRUE(store_->RevokeKey(IdOf(viewer)).ok());
  EXPECT_EQ(auth.Authenticate(viewer).status().code(), Status::Code::kUnauthenticated);
  EXPECT_TRUE(auth.Authenticate(other).ok());
}

}  // namespace
}  // namespace burnrate::app
