// Contract tests for http::Router and the helpers of http/http.h: roles,
// authentication, 401/403/404/405, path parameters, query decoding.
#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "http/http.h"

namespace burnrate::http {
namespace {

Response Call(const Router& r, std::string method, std::string path, std::string key = "",
              std::unordered_map<std::string, std::string> query = {}) {
  Request req;
  req.method = std::move(method);
  req.path = std::move(path);
  req.query = std::move(query);
  if (!key.empty()) req.headers["authorization"] = "Bearer " + key;
  Response out;
  bool called = false;
  r.Dispatch(req, [&](Response res) {
    out = std::move(res);
    called = true;
  });
  EXPECT_TRUE(called);
  return out;
}

Router MakeRouter() {
  Router r;
  r.SetAuthenticator([](std::string_view key) -> Result<std::pair<Role, std::string>> {
    if (key == "admin-key") return std::make_pair(Role::kAdmin, std::string("k_admin"));
    if (key == "viewer-key") return std::make_pair(Role::kViewer, std::string("k_viewer"));
    if (key == "ingest-key") return std::make_pair(Role::kIngest, std::string("k_ingest"));
    if (key == "self-key") return std::make_pair(Role::kSelf, std::string("alice"));
    return Status::Unauthenticated("invalid or revoked API key");
  });
  r.AddSync("GET", "/healthz", Role::kNone, [](Request&) { return Response::Json("{}"); });
  r.AddSync("POST", "/v1/events", Role::kIngest,
            [](Request& q) { return Response::Json("ingest:" + q.principal); });
  r.AddSync("GET", "/v1/leaderboard", Role::kSelf,
            [](Request& q) { return Response::Json(std::string("board:") + RoleName(q.role)); });
  r.AddSync("GET", "/metrics", Role::kViewer, [](Request&) { return Response::Text("m 1\n"); });
  r.AddStream("GET", "/v1/stream", Role::kSelf,
              [](Request&) { return Response::Text("stream\n"); });
  r.AddSync("GET", "/v1/whoami", Role::kAnyKey,
            [](Request& q) { return Response::Json(RoleName(q.role)); });
  r.AddSync("POST", "/v1/keys", Role::kAdmin, [](Request&) { return Response::Json("{}", 201); });
  r.AddSync("GET", "/v1/users/{id}/usage", Role::kSelf,
            [](Request& q) { return Response::Json("user:" + q.params["id"]); });
  return r;
}

TEST(Roles, ParseAndName) {
  for (Role r : {Role::kSelf, Role::kIngest, Role::kViewer, Role::kAdmin})
    EXPECT_EQ(*ParseRole(RoleName(r)), r);
  EXPECT_FALSE(ParseRole("root").ok());
  EXPECT_FALSE(ParseRole("").ok());
}

TEST(Roles, AllowsMatrix) {
  // need:              none  self  ingest viewer admin
  const bool kAllowed[5][5] = {
      /* have none   */ {true, false, false, false, false},
      /* have self   */ {true, true, false, false, false},
      /* have ingest */ {true, false, true, false, false},
      /* have viewer */ {true, true, false, true, false},
      /* have admin  */ {true, true, true, true, true},
  };
  for (int h = 0; h < 5; ++h)
    for (int n = 0; n < 5; ++n)
      EXPECT_EQ(Allows(Role(h), Role(n)), kAllowed[h][n])
          << RoleName(Role(h)) << " for " << RoleName(Role(n));
}

TEST(Router, AuthenticationAndRoles) {
  Router r = MakeRouter();
  EXPECT_EQ(Call(r, "GET", "/healthz").status, 200);  // no key needed
  Response none = Call(r, "GET", "/metrics");
  EXPECT_EQ(none.status, 401);
  EXPECT_NE(none.body.find("\"error\""), std::string::npos);
  EXPECT_EQ(Call(r, "GET", "/metrics", "wrong-key").status, 401);
  Response denied = Call(r, "GET", "/metrics", "ingest-key");
  EXPECT_EQ(denied.status, 403);
  EXPECT_NE(denied.body.find("viewer"), std::string::npos);
  EXPECT_EQ(Call(r, "GET", "/metrics", "viewer-key").status, 200);
  EXPECT_EQ(Call(r, "GET", "/metrics", "admin-key").status, 200);
  EXPECT_EQ(Call(r, "POST", "/v1/events", "viewer-key").status, 403);
  Response ing = Call(r, "POST", "/v1/events", "ingest-key");
  EXPECT_EQ(ing.status, 200);
  EXPECT_EQ(ing.body, "ingest:k_ingest");
  EXPECT_EQ(Call(r, "POST", "/v1/keys", "viewer-key").status, 403);
  EXPECT_EQ(Call(r, "POST", "/v1/keys", "admin-key").status, 201);
  EXPECT_EQ(Call(r, "GET", "/v1/leaderboard", "self-key").body, "board:self");
  EXPECT_EQ(Call(r, "GET", "/v1/leaderboard", "ingest-key").status, 403);
}

// EventSource cannot send headers, so a stream takes ?key=; no other route
// does, so keys do not land in proxy and access logs.
TEST(Router, KeyFromQueryOnlyForEventStreams) {
  Router r = MakeRouter();
  EXPECT_EQ(Call(r, "GET", "/v1/stream", "", {{"key", "viewer-key"}}).status, 200);
  Response refused = Call(r, "GET", "/metrics", "", {{"key", "viewer-key"}});
  EXPECT_EQ(refused.status, 401);
  EXPECT_NE(refused.body.find("only on event streams"), std::string::npos) << refused.body;
  Request req;
  req.method = "GET";
  req.path = "/metrics";
  req.headers["authorization"] = "bearer viewer-key";  // scheme is case-insensitive
  int status = 0;
  r.Dispatch(req, [&](Response res) { status = res.status; });
  EXPECT_EQ(status, 200);
}

TEST(Router, AnyKeyRouteTakesEveryRoleButNoKey) {
  Router r = MakeRouter();
  for (const char* key : {"admin-key", "viewer-key", "ingest-key", "self-key"})
    EXPECT_EQ(Call(r, "GET", "/v1/whoami", key).status, 200) << key;
  EXPECT_EQ(Call(r, "GET", "/v1/whoami").status, 401);
  EXPECT_EQ(Call(r, "GET", "/v1/whoami", "wrong-key").status, 401);
}

TEST(Router, NotFoundAndMethodNotAllowed) {
  Router r = MakeRouter();
  Response nf = Call(r, "GET", "/v1/nothing", "admin-key");
  EXPECT_EQ(nf.status, 404);
  EXPECT_EQ(nf.content_type, "application/json");
  EXPECT_EQ(Call(r, "DELETE", "/v1/events", "admin-key").status, 405);
  EXPECT_EQ(Call(r, "HEAD", "/healthz").status, 200);  // HEAD is served by GET routes
}

TEST(Router, PathParametersAreDecoded) {
  Router r = MakeRouter();
  EXPECT_EQ(Call(r, "GET", "/v1/users/alice/usage", "admin-key").body, "user:alice");
  EXPECT_EQ(Call(r, "GET", "/v1/users/a%40b.com/usage", "admin-key").body, "user:a@b.com");
  EXPECT_EQ(Call(r, "GET", "//v1/users/bob/usage/", "admin-key").body,
            "user:bob");  // empty segments ignored
  EXPECT_EQ(Call(r, "GET", "/v1/users/usage", "admin-key").status, 404);
}

TEST(Router, FallbackOnlyForGetOutsideTheApi) {
  Router r = MakeRouter();
  r.SetFallback([](Request& q, Respond respond) { respond(Response::Text("static:" + q.path)); });
  EXPECT_EQ(Call(r, "GET", "/index.html").body, "static:/index.html");
  EXPECT_EQ(Call(r, "GET", "/v1/unknown", "admin-key").status, 404);
  EXPECT_EQ(Call(r, "POST", "/index.html").status, 404);
  // The fallback gets the path exactly as sent: not percent-decoded, empty
  // segments kept, so the static file server judges what the client sent.
  for (const char* raw :
       {"/%2e%2e/%2e%2e/etc/passwd", "//etc/passwd", "/a%2fb", "/..%5cx", "/%00"}) {
    EXPECT_EQ(Call(r, "GET", raw).body, std::string("static:") + raw);
  }
}

TEST(Router, AsyncHandlersMayAnswerLater) {
  Router r;
  Respond saved;
  r.Add("GET", "/later", Role::kNone,
        [&](Request&, Respond respond) { saved = std::move(respond); });
  Request req;
  req.method = "GET";
  req.path = "/later";
  int status = 0;
  r.Dispatch(req, [&](Response res) { status = res.status; });
  EXPECT_EQ(status, 0);
  saved(Response::Json("{}", 202));
  EXPECT_EQ(status, 202);
}

Request Head(std::string method, std::string path, std::string key = "") {
  Request req;
  req.method = std::move(method);
  req.path = std::move(path);
  if (!key.empty()) req.headers["authorization"] = "Bearer " + key;
  return req;
}

TEST(Router, AdmitRefusesBeforeTheBodyWithTheSameAnswersAsDispatch) {
  Router r = MakeRouter();
  r.SetFallback([](Request& q, Respond respond) { respond(Response::Text("static:" + q.path)); });
  struct Case {
    std::string method, path, key;
    int status;  // 0: admitted
  };
  for (const Case& c : std::vector<Case>{{"POST", "/v1/events", "", 401},
                                         {"POST", "/v1/events", "wrong-key", 401},
                                         {"POST", "/v1/events", "viewer-key", 403},
                                         {"POST", "/v1/nothing", "admin-key", 404},
                                         {"PUT", "/v1/events", "admin-key", 405},
                                         {"POST", "/v1/events", "ingest-key", 0},
                                         {"GET", "/healthz", "", 0},
                                         {"GET", "/index.html", "", 0}}) {
    Request req = Head(c.method, c.path, c.key);
    std::optional<Response> refusal = r.Admit(req);
    EXPECT_EQ(refusal ? refusal->status : 0, c.status) << c.method << " " << c.path << " " << c.key;
    if (refusal) {
      EXPECT_NE(refusal->body.find("\"error\""), std::string::npos);
      EXPECT_EQ(req.admitted_route, Request::kNotAdmitted);
      EXPECT_EQ(Call(r, c.method, c.path, c.key).status, c.status);  // Dispatch alone agrees
    } else {
      EXPECT_NE(req.admitted_route, Request::kNotAdmitted);
    }
  }
}

TEST(Router, AnAdmittedRequestIsAuthenticatedOnce) {
  Router r = MakeRouter();
  int calls = 0;
  r.SetAuthenticator([&calls](std::string_view key) -> Result<std::pair<Role, std::string>> {
    ++calls;
    if (key == "ingest-key") return std::make_pair(Role::kIngest, std::string("k_ingest"));
    return Status::Unauthenticated("invalid or revoked API key");
  });
  Request req = Head("POST", "/v1/events", "ingest-key");
  ASSERT_FALSE(r.Admit(req).has_value());
  EXPECT_EQ(req.role, Role::kIngest);
  EXPECT_EQ(req.principal, "k_ingest");
  EXPECT_EQ(calls, 1);
  std::string body;
  r.Dispatch(req, [&](Response res) { body = res.body; });
  EXPECT_EQ(body, "ingest:k_ingest");
  EXPECT_EQ(calls, 1);  // not again
  // Without Admit, Dispatch authenticates by itself.
  EXPECT_EQ(Call(r, "POST", "/v1/events", "ingest-key").body, "ingest:k_ingest");
  EXPECT_EQ(calls, 2);
}

TEST(Router, AdmitSetsPathParameters) {
  Router r = MakeRouter();
  Request req = Head("GET", "/v1/users/a%40b.com/usage", "admin-key");
  ASSERT_FALSE(r.Admit(req).has_value());
  EXPECT_EQ(req.params["id"], "a@b.com");
}

TEST(ErrorResponse, MapsCodesAndNamesTheField) {
  EXPECT_EQ(HttpStatusFor(Status::OK()), 200);
  EXPECT_EQ(HttpStatusFor(Status::InvalidArgument("")), 400);
  EXPECT_EQ(HttpStatusFor(Status::Unauthenticated("")), 401);
  EXPECT_EQ(HttpStatusFor(Status::PermissionDenied("")), 403);
  EXPECT_EQ(HttpStatusFor(Status::NotFound("")), 404);
  EXPECT_EQ(HttpStatusFor(Status::AlreadyExists("")), 409);
  EXPECT_EQ(HttpStatusFor(Status::Unsupported("")), 415);
  EXPECT_EQ(HttpStatusFor(Status::TooLarge("")), 413);
  EXPECT_EQ(HttpStatusFor(Status::ResourceExhausted("")), 429);
  EXPECT_EQ(HttpStatusFor(Status::IOError("")), 500);
  EXPECT_EQ(HttpStatusFor(Status::Internal("")), 500);
  EXPECT_EQ(HttpStatusFor(Status::Unavailable("")), 503);
  Response r = ErrorResponse(Status::InvalidArgument("limit must be \"small\""), "limit");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, R"({"error":"limit must be \"small\"","field":"limit"})");
  EXPECT_EQ(ErrorResponse(Status::NotFound("x")).body, R"({"error":"x"})");
  EXPECT_TRUE(r.headers.empty());
}

TEST(ErrorResponse, UnavailableSaysWhenToRetry) {
  Response r = ErrorResponse(Status::Unavailable("the database is away"));
  EXPECT_EQ(r.status, 503);
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].first, "Retry-After");
  EXPECT_EQ(r.headers[0].second, "1");
}

TEST(ParseQuery, DecodesPairs) {
  auto q = ParseQuery("a=1&b=x%20y&c=a+b&flag&&d=%zz&e=%41%42&=v&f=");
  EXPECT_EQ(q["a"], "1");
  EXPECT_EQ(q["b"], "x y");
  EXPECT_EQ(q["c"], "a b");
  EXPECT_TRUE(q.count("flag"));
  EXPECT_EQ(q["d"], "%zz");  // invalid escapes are kept as they are
  EXPECT_EQ(q["e"], "AB");
  EXPECT_EQ(q["f"], "");
  EXPECT_TRUE(ParseQuery("").empty());
  EXPECT_EQ(ParseQuery("x=%2")["x"], "%2");
}

// A route may answer its own 401/403 (the gateway: in the provider's error
// shape); the other routes keep burnrate's.
TEST(Router, ShapedRefusalsApplyToTheirRouteOnly) {
  Router r = MakeRouter();
  r.AddSync("POST", "/v1/messages", Role::kAdmin, [](Request&) { return Response::Json("{}"); });
  r.ShapeRefusals([](const Request& req, const Status& why) {
    return Response::Json(
        R"({"type":"error","why":")" + why.message() + "\",\"path\":\"" + req.path + "\"}",
        HttpStatusFor(why));
  });
  Response missing = Call(r, "POST", "/v1/messages");
  EXPECT_EQ(missing.status, 401);
  EXPECT_NE(missing.body.find(R"({"type":"error","why":"missing API key)"), std::string::npos)
      << missing.body;
  Response bad = Call(r, "POST", "/v1/messages", "nope");
  EXPECT_EQ(bad.status, 401);
  EXPECT_NE(bad.body.find("invalid or revoked"), std::string::npos) << bad.body;
  Response role = Call(r, "POST", "/v1/messages", "viewer-key");
  EXPECT_EQ(role.status, 403);
  EXPECT_NE(role.body.find(R"("path":"/v1/messages")"), std::string::npos) << role.body;
  EXPECT_EQ(Call(r, "POST", "/v1/messages", "admin-key").status, 200);
  Response other = Call(r, "POST", "/v1/keys");
  EXPECT_EQ(other.status, 401);
  EXPECT_EQ(other.body.find(R"("type":"error")"), std::string::npos) << other.body;
}

}  // namespace
}  // namespace burnrate::http
