// StaticFiles (http/static_files.h) on a real directory: content types, the
// index.html fallback, gzip negotiation, ETag revalidation, cache headers,
// path escapes, and picking up a file rewritten under a running server.
#include "http/static_files.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <fstream>
#include <thread>

namespace burnrate::http {
namespace {

namespace fs = std::filesystem;

std::string Gunzip(const std::string& in) {
  z_stream zs{};
  inflateInit2(&zs, 15 + 16);
  std::string out(1 << 20, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = uInt(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = uInt(out.size());
  EXPECT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return out;
}

std::string HeaderOf(const Response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "";
}

class StaticFilesTest : public testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::path(testing::TempDir()) / ("static_" + std::to_string(getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "assets");
    Write("index.html", "<!doctype html><title>burnrate</title>" + std::string(2000, ' ') + "<main></main>");
    std::string js;
    for (int i = 0; i < 200; ++i) js += "export const v" + std::to_string(i) + " = " + std::to_string(i) + ";\n";
    Write("assets/app-1a2b.js", js);
    Write("assets/logo.png", std::string("\x89PNG\r\n\x1a\n", 8) + std::string(1000, 'x'));
  }
  void TearDown() override { fs::remove_all(root_); }
  void Write(const std::string& rel, const std::string& body) { std::ofstream(root_ / rel, std::ios::binary) << body; }
  Request Get(const std::string& path, std::vector<std::pair<std::string, std::string>> headers = {}) {
    Request r;
    r.method = "GET";
    r.path = path;
    for (auto& [k, v] : headers) r.headers[k] = v;
    return r;
  }

  fs::path root_;
};

TEST_F(StaticFilesTest, ServesFilesWithTypesAndGzipWhenAccepted) {
  StaticFiles files(root_);
  Response plain = files.Serve(Get("/assets/app-1a2b.js"));
  EXPECT_EQ(plain.status, 200);
  EXPECT_EQ(plain.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(HeaderOf(plain, "Content-Encoding"), "");
  EXPECT_EQ(HeaderOf(plain, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(HeaderOf(plain, "Vary"), "Accept-Encoding");

  Response gz = files.Serve(Get("/assets/app-1a2b.js", {{"accept-encoding", "gzip, deflate, br"}}));
  EXPECT_EQ(HeaderOf(gz, "Content-Encoding"), "gzip");
  EXPECT_LT(gz.body.size(), plain.body.size() / 2);
  EXPECT_EQ(Gunzip(gz.body), plain.body);

  // An explicit refusal is honoured; already-compressed types are sent as they are.
  EXPECT_EQ(HeaderOf(files.Serve(Get("/assets/app-1a2b.js", {{"accept-encoding", "gzip;q=0, identity"}})), "Content-Encoding"), "");
  Response png = files.Serve(Get("/assets/logo.png", {{"accept-encoding", "gzip"}}));
  EXPECT_EQ(png.content_type, "image/png");
  EXPECT_EQ(HeaderOf(png, "Content-Encoding"), "");
}

TEST_F(StaticFilesTest, RootAndClientRoutesServeIndexWithoutLongCaching) {
  StaticFiles files(root_);
  Response root = files.Serve(Get("/"));
  EXPECT_EQ(root.status, 200);
  EXPECT_EQ(root.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(HeaderOf(root, "Cache-Control"), "no-cache");
  Response route = files.Serve(Get("/users/alice"));
  EXPECT_EQ(route.body, root.body);
  // A missing hashed asset (an old chunk after a redeploy) is a 404, not the
  // app's HTML under a script's name, and is not cached as immutable.
  Response missing = files.Serve(Get("/assets/gone-9999.js"));
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body, root.body);
  EXPECT_EQ(HeaderOf(missing, "Cache-Control").find("immutable"), std::string::npos);
}

TEST_F(StaticFilesTest, EtagRevalidatesWith304) {
  StaticFiles files(root_);
  Response first = files.Serve(Get("/"));
  std::string etag = HeaderOf(first, "ETag");
  ASSERT_EQ(etag.size(), 18u);
  Response again = files.Serve(Get("/", {{"if-none-match", etag}}));
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(files.Serve(Get("/", {{"if-none-match", "\"other\""}})).status, 200);
}

TEST_F(StaticFilesTest, PathsCannotLeaveTheRoot) {
  Write("../secret.txt", "top secret");
  StaticFiles files(root_);
  for (const char* p : {"/../secret.txt", "/assets/../../secret.txt", "/..\\secret.txt", "relative.txt"}) {
    Response r = files.Serve(Get(p));
    EXPECT_EQ(r.status, 404) << p;
    EXPECT_EQ(r.body.find("top secret"), std::string::npos) << p;
  }
  fs::remove(root_.parent_path() / "secret.txt");
}

TEST_F(StaticFilesTest, RewrittenFileIsServedFresh) {
  StaticFiles files(root_);
  std::string before = files.Serve(Get("/")).body;
  Write("index.html", "<!doctype html><title>new build</title>");
  // Guarantee a different mtime even on coarse-grained file systems.
  fs::last_write_time(root_ / "index.html", fs::last_write_time(root_ / "index.html") + std::chrono::seconds(2));
  std::string after = files.Serve(Get("/")).body;
  EXPECT_NE(after, before);
  EXPECT_EQ(after, "<!doctype html><title>new build</title>");
}

TEST_F(StaticFilesTest, NoDashboardIsAClear404) {
  StaticFiles files(root_ / "nothing-here");
  Response r = files.Serve(Get("/"));
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("make web"), std::string::npos);
}

TEST_F(StaticFilesTest, ConcurrentFirstRequestsAgree) {
  StaticFiles files(root_);
  std::vector<std::thread> threads;
  std::vector<std::string> bodies(8);
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] { bodies[i] = files.Serve(Get("/assets/app-1a2b.js")).body; });
  for (auto& t : threads) t.join();
  for (const auto& b : bodies) EXPECT_EQ(b, bodies[0]);
}

}  // namespace
}  // namespace burnrate::http
