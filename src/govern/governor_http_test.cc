// The HTTP surface through the real Router (authentication, roles, JSON).
#include <gtest/gtest.h>

#include "govern/test_util.h"
#include "http/http.h"

namespace burnrate::govern {
namespace {

using testing::Fixture;

struct Api {
  explicit Api(const std::string& toml) : f(toml) {
    f.gov.RegisterRoutes(router);
    router.SetAuthenticator([](std::string_view key) -> Result<std::pair<http::Role, std::string>> {
      if (key == "adm") return std::pair{http::Role::kAdmin, std::string("root")};
      if (key == "ing") return std::pair{http::Role::kIngest, std::string("proxy")};
      if (key == "view") return std::pair{http::Role::kViewer, std::string("viewer")};
      if (key == "self") return std::pair{http::Role::kSelf, std::string("alice")};
      return Status::Unauthenticated("bad key");
    });
  }
  http::Response Call(const std::string& method, const std::string& target, const std::string& key,
                      const std::string& body = "") {
    http::Request req;
    req.method = method;
    size_t q = target.find('?');
    req.path = target.substr(0, q);
    if (q != std::string::npos) req.query = http::ParseQuery(target.substr(q + 1));
    req.headers["authorization"] = "Bearer " + key;
    req.body = body;
    http::Response out;
    router.Dispatch(req, [&](http::Response r) { out = std::move(r); });
    return out;
  }
  Fixture f;
  http::Router router;
};

constexpr const char* kConfig = R"(
[[governance.budget]]
id = "user-day"
scope = "user"
limit_tokens = 1000
period = "day"
)";

TEST(GovernHttp, CheckSettleRoundTrip) {
  Api api(kConfig);
  auto r = api.Call("POST", "/v1/check", "ing",
                    R"({"user":"alice","model":"m","estimated_tokens":600})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(R"("decision":"allow")"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("remaining":400)"), std::string::npos) << r.body;
  size_t at = r.body.find(R"("reservation_id":")") + 18;
  std::string id = r.body.substr(at, r.body.find('"', at) - at);
  auto d = api.Call("POST", "/v1/check", "ing",
                    R"({"user":"alice","model":"m","estimated_tokens":600})");
  EXPECT_NE(d.body.find(R"("decision":"deny")"), std::string::npos) << d.body;
  EXPECT_NE(d.body.find(R"("policy":"user-day")"), std::string::npos) << d.body;
  auto s = api.Call("POST", "/v1/settle", "ing",
                    R"({"reservation_id":")" + id + R"(","tokens":{"input":100,"output":100}})");
  EXPECT_EQ(s.status, 200) << s.body;
  auto again = api.Call("POST", "/v1/settle", "ing", R"({"reservation_id":")" + id + R"("})");
  EXPECT_EQ(again.status, 404);
  EXPECT_NE(again.body.find(R"("field":"reservation_id")"), std::string::npos) << again.body;
  auto ok = api.Call("POST", "/v1/check", "adm",
                     R"({"user":"alice","model":"m","estimated_tokens":600})");
  EXPECT_NE(ok.body.find(R"("decision":"allow")"), std::string::npos) << ok.body;
}

TEST(GovernHttp, BadInputNamesTheField) {
  Api api(kConfig);
  struct Case {
    const char* body;
    const char* field;
  } cases[] = {
      {"not json", "body"},
      {R"({"model":"m"})", "user"},
      {R"({"user":"a","estimated_tokens":-5})", "estimated_tokens"},
      {R"({"user":"a","estimated_tokens":"many"})", "estimated_tokens"},
      {R"({"user":7})", "user"},
      {R"({"user":"a","estimated_cost_usd":"x"})", "estimated_cost_usd"},
  };
  for (const auto& c : cases) {
    auto r = api.Call("POST", "/v1/check", "ing", c.body);
    EXPECT_EQ(r.status, 400) << c.body;
    EXPECT_NE(r.body.find(std::string(R"("field":")") + c.field + "\""), std::string::npos)
        << c.body << " " << r.body;
  }
  auto s = api.Call("POST", "/v1/settle", "ing", R"({"reservation_id":"x","tokens":{"input":-1}})");
  EXPECT_NE(s.body.find(R"("field":"tokens.input")"), std::string::npos) << s.body;
}

TEST(GovernHttp, RolesAreEnforced) {
  Api api(kConfig);
  EXPECT_EQ(api.Call("POST", "/v1/check", "view", R"({"user":"a"})").status, 403);
  EXPECT_EQ(api.Call("POST", "/v1/policies", "ing", R"({"id":"x","limit_tokens":1})").status, 403);
  EXPECT_EQ(api.Call("GET", "/v1/audit", "view").status, 403);
  EXPECT_EQ(api.Call("GET", "/v1/policies", "view").status, 200);
  // A self key sees only its own allowance, whatever it asks for.
  auto a = api.Call("GET", "/v1/allowance?user=bob", "self");
  EXPECT_EQ(a.status, 200);
  EXPECT_NE(a.body.find(R"("user":"alice")"), std::string::npos) << a.body;
}

TEST(GovernHttp, PolicyCrudHistoryAndAudit) {
  Api api(kConfig);
  auto c = api.Call(
      "POST", "/v1/policies", "adm",
      R"({"id":"team-usd","scope":"team","subject":"core","limit_usd":10,"period":"week"})");
  ASSERT_EQ(c.status, 201) << c.body;
  auto dup = api.Call("POST", "/v1/policies", "adm", R"({"id":"team-usd","limit_tokens":1})");
  EXPECT_EQ(dup.status, 409);
  auto u = api.Call(
      "PUT", "/v1/policies/team-usd", "adm",
      R"({"id":"team-usd","scope":"team","subject":"core","limit_usd":20,"period":"week"})");
  ASSERT_EQ(u.status, 200) << u.body;
  EXPECT_NE(u.body.find(R"("version":2)"), std::string::npos) << u.body;
  auto cfg =
      api.Call("PUT", "/v1/policies/user-day", "adm", R"({"id":"user-day","limit_tokens":5})");
  EXPECT_EQ(cfg.status, 403);
  auto h = api.Call("GET", "/v1/policies/team-usd", "view");
  EXPECT_NE(h.body.find(R"("history":[{"version":1)"), std::string::npos) << h.body;
  EXPECT_EQ(api.Call("DELETE", "/v1/policies/team-usd", "adm").status, 200);
  EXPECT_EQ(api.Call("DELETE", "/v1/policies/team-usd", "adm").status, 404);
  auto audit = api.Call("GET", "/v1/audit?actor=root&limit=10", "adm");
  ASSERT_EQ(audit.status, 200);
  EXPECT_NE(audit.body.find(R"("action":"policy.delete")"), std::string::npos) << audit.body;
  EXPECT_NE(audit.body.find(R"("action":"policy.update")"), std::string::npos) << audit.body;
  auto bad = api.Call("GET", "/v1/audit?from=yesterday", "adm");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find(R"("field":"from")"), std::string::npos);
}

TEST(GovernHttp, ThrottleEndpointAndMetrics) {
  Api api(std::string(kConfig) + R"(
[[governance.budget]]
id = "team-cap"
scope = "team"
limit_tokens = 100
)");
  auto t =
      api.Call("POST", "/v1/throttle", "adm", R"({"user":"mallory","level":3,"reason":"farming"})");
  ASSERT_EQ(t.status, 200) << t.body;
  auto d = api.Call("POST", "/v1/check", "ing",
                    R"({"user":"mallory","team":"red","estimated_tokens":1})");
  EXPECT_NE(d.body.find(R"("decision":"deny")"), std::string::npos) << d.body;
  EXPECT_TRUE(api.f.Use("ann", 60, "blue"));
  auto bad = api.Call("POST", "/v1/throttle", "adm", R"({"user":"mallory","level":9})");
  EXPECT_EQ(bad.status, 400);
  std::string m;
  api.f.gov.AppendMetrics(m);
  EXPECT_NE(m.find(R"(burnrate_governance_denials_total{policy="throttle:flagged",team="red"} 1)"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find(R"(burnrate_budget_remaining{policy="team-cap",team="blue",unit="tokens"} 40)"),
            std::string::npos)
      << m;
  EXPECT_EQ(m.find("alice"), std::string::npos);  // no per-user labels
  EXPECT_EQ(m.find("user-day"), std::string::npos);
}

}  // namespace
}  // namespace burnrate::govern
