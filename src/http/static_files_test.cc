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
    Write("index.html",
          "<!doctype html><title>burnrate</title>" + std::string(2000, ' ') + "<main></main>");
    std::string js;
    for (int i = 0; i < 200; ++i)
      js += "export const v" + std::to_string(i) + " = " + std::to_string(i) + ";\n";
    Write("assets/app-1a2b.js", js);
    Write("assets/logo.png", std::string("\x89PNG\r\n\x1a\n", 8) + std::string(1000, 'x'));
  }
  void TearDown() override { fs::remove_all(root_); }
  void Write(const std::string& rel, const std::string& body) {
    std::ofstream(root_ / rel, std::ios::binary) << body;
  }
  Request Get(const std::string& path,
              std::vector<std::pair<std::string, std::string>> headers = {}) {
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
  EXPECT_EQ(
      HeaderOf(files.Serve(Get("/assets/app-1a2b.js", {{"accept-encoding", "gzip;q=0, identity"}})),
               "Content-Encoding"),
      "");
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

// The traversal corpus: request paths an attacker would try, against a root
// that has symlinks pointing out of it. None may answer with a file from
// outside the root; each is a JSON 404.
TEST_F(StaticFilesTest, AttackPathsNeverLeaveTheRoot) {
  const fs::path outside = root_.parent_path() / ("outside_" + std::to_string(getpid()));
  fs::create_directories(outside / "sub");
  std::ofstream(outside / "secret.txt") << "top secret";
  std::ofstream(outside / "sub" / "secret.txt") << "top secret";
  std::ofstream(root_.parent_path() / "secret.txt") << "top secret";
  fs::create_symlink(outside / "secret.txt", root_ / "link.txt");  // a file link out
  fs::create_symlink(outside, root_ / "assets" / "out");           // a directory link out
  fs::create_symlink("../../" + outside.filename().string() + "/secret.txt",
                     root_ / "assets" / "rel.js");
  fs::create_symlink("/etc/passwd", root_ / "passwd");
  fs::create_symlink("/proc/self/environ", root_ / "environ");
  fs::create_symlink("/dev/zero", root_ / "zero");

  std::vector<std::string> attacks = {
      "//etc/passwd",
      "//proc/self/environ",
      "//proc/self/cwd/burnrate.db",
      "///etc/passwd",
      "/../secret.txt",
      "/../../../../../../etc/passwd",
      "/assets/../../secret.txt",
      "/assets/../../x",
      "/./",
      "/./index.html",
      "/.",
      "/..",
      "/assets/./app-1a2b.js",
      "/assets/.",
      "/.git/config",
      "/.env",
      "/%2e%2e/secret.txt",
      "/%2E%2E/%2E%2E/etc/passwd",
      "/%2e%2e%2fsecret.txt",
      "/..%2fsecret.txt",
      "/..%5csecret.txt",
      "/%2fetc%2fpasswd",
      "/%5c..%5csecret.txt",
      "/index.html%00.png",
      "/%00",
      "/..\\secret.txt",
      "/\\etc\\passwd",
      "/assets\\..\\..\\secret.txt",
      std::string("/index.html\0/../x", 17),
      std::string("/\0", 2),
      "/etc/passwd/",
      "/assets/",
      "/assets//app-1a2b.js",
      "/..;/secret.txt",
      "/%252e%252e/secret.txt",
      "/%c0%ae%c0%ae/secret.txt",
      "/\xc0\xae\xc0\xae/secret.txt",
      "/a:b",
      "relative.txt",
      "",
      "etc/passwd",
      "http://evil/etc/passwd",
      "/link.txt",
      "/assets/out/secret.txt",
      "/assets/out/sub/secret.txt",
      "/assets/rel.js",
      "/passwd",
      "/environ",
      "/zero",
      "/assets/out",
      "/" + std::string(4000, 'a'),
      "/" + std::string(2000, '/') + "etc/passwd",
  };
  std::string deep;
  for (int i = 0; i < 600; ++i) deep += "/..";
  attacks.push_back(deep + "/etc/passwd");
  std::string long_ok_chars;
  for (int i = 0; i < 300; ++i) long_ok_chars += "/abc";
  attacks.push_back(long_ok_chars);

  StaticFiles files(root_);
  const std::string index = files.Serve(Get("/")).body;
  for (const auto& p : attacks) {
    Response r = files.Serve(Get(p));
    EXPECT_EQ(r.body.find("top secret"), std::string::npos) << p;
    EXPECT_EQ(r.body.find("root:"), std::string::npos) << p;
    // Either refused with a JSON error, or a plain name with no file behind
    // it that gets the app itself (a client-side route).
    if (r.status == 200) {
      EXPECT_EQ(r.body, index) << p;
      EXPECT_TRUE(StaticPath(p).ok()) << p;
    } else {
      EXPECT_EQ(r.status, 404) << p;
      EXPECT_EQ(r.content_type, "application/json") << p;
      EXPECT_EQ(r.body.rfind("{\"error\":", 0), 0u) << p;
    }
  }
  // Links out of the root, and things that are not regular files, are
  // refused outright (not answered with the app); links that stay inside work.
  for (const char* p : {"/link.txt", "/assets/rel.js", "/assets/out/secret.txt", "/passwd",
                        "/environ", "/zero", "/assets"}) {
    Response r = files.Serve(Get(p));
    EXPECT_EQ(r.status, 404) << p;
    EXPECT_NE(r.body.find("refused"), std::string::npos) << p << ": " << r.body;
  }
  fs::create_symlink(root_ / "assets" / "app-1a2b.js", root_ / "assets" / "alias.js");
  EXPECT_EQ(files.Serve(Get("/assets/alias.js")).status, 200);

  fs::remove_all(outside);
  fs::remove(root_.parent_path() / "secret.txt");
}

TEST(StaticPathTest, AcceptsPlainNamesOnly) {
  EXPECT_EQ(*StaticPath("/"), "index.html");
  EXPECT_EQ(*StaticPath("/assets/index-v9jYeBY_.js"), "assets/index-v9jYeBY_.js");
  EXPECT_EQ(*StaticPath("/users/alice@example.com"), "users/alice@example.com");
  for (const char* p : {"//etc/passwd", "/a//b", "/a/", "/../x", "/a/../b", "/./x", "/.hidden",
                        "/a%2fb", "/a\\b", "/a b", "/a:b", "x", ""}) {
    auto r = StaticPath(p);
    ASSERT_FALSE(r.ok()) << p;
    EXPECT_EQ(r.status().code(), Status::Code::kNotFound) << p;
  }
  EXPECT_FALSE(StaticPath(std::string("/a\0b", 4)).ok());
}

TEST_F(StaticFilesTest, ResolveBeneathRefusesEscapes) {
  const fs::path root = fs::canonical(root_);
  fs::create_symlink("/etc", root_ / "etc");
  EXPECT_EQ(*ResolveBeneath(root, "index.html"), root / "index.html");
  for (const char* rel : {"/etc/passwd", "../x", "assets/../../x", "etc/passwd", "assets", ""}) {
    auto r = ResolveBeneath(root, rel);
    ASSERT_FALSE(r.ok()) << rel;
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument) << rel;
  }
  EXPECT_EQ(ResolveBeneath(root, "missing.js").status().code(), Status::Code::kNotFound);
  EXPECT_EQ(ResolveBeneath(root, std::string_view("index.html\0/../x", 16)).status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_FALSE(ResolveBeneath(root, root.string() + "/index.html").ok());  // absolute, even inside
}

TEST_F(StaticFilesTest, RewrittenFileIsServedFresh) {
  StaticFiles files(root_);
  std::string before = files.Serve(Get("/")).body;
  Write("index.html", "<!doctype html><title>new build</title>");
  // Guarantee a different mtime even on coarse-grained file systems.
  fs::last_write_time(root_ / "index.html",
                      fs::last_write_time(root_ / "index.html") + std::chrono::seconds(2));
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

TEST(EmbeddedStaticFilesTest, ServesTheTableLikeFilesOnDisk) {
  std::string js;
  for (int i = 0; i < 200; ++i)
    js += "export const v" + std::to_string(i) + " = " + std::to_string(i) + ";\n";
  // Prepared as tools/embed_files.cc does at build time.
  const std::string html = "<!doctype html><title>embedded</title>";
  const std::string js_gzip = GzipIfSmaller(ContentTypeFor("app.js"), js);
  const std::string html_etag = EtagFor(html), js_etag = EtagFor(js);
  ASSERT_FALSE(js_gzip.empty());
  EXPECT_TRUE(GzipIfSmaller(ContentTypeFor("index.html"), html).empty());  // too small to help
  const EmbeddedFile table[] = {
      {"index.html", "text/html; charset=utf-8", html, "", html_etag},
      {"assets/app-1.js", "text/javascript; charset=utf-8", js, js_gzip, js_etag},
  };
  StaticFiles files{std::span<const EmbeddedFile>(table)};
  Request req;
  req.method = "GET";
  req.path = "/";
  Response root = files.Serve(req);
  EXPECT_EQ(root.status, 200);
  EXPECT_EQ(root.body, "<!doctype html><title>embedded</title>");
  EXPECT_EQ(HeaderOf(root, "Cache-Control"), "no-cache");
  req.path = "/assets/app-1.js";
  req.headers["accept-encoding"] = "gzip";
  Response gz = files.Serve(req);
  EXPECT_EQ(HeaderOf(gz, "Content-Encoding"), "gzip");
  EXPECT_EQ(Gunzip(gz.body), js);
  EXPECT_EQ(HeaderOf(gz, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(HeaderOf(gz, "ETag"), js_etag);
  req.headers["if-none-match"] = HeaderOf(gz, "ETag");
  EXPECT_EQ(files.Serve(req).status, 304);
  req.headers.clear();
  req.path = "/leaderboard";
  EXPECT_EQ(files.Serve(req).body, root.body);
  req.path = "/assets/gone.js";
  EXPECT_EQ(files.Serve(req).status, 404);
  req.path = "//etc/passwd";
  EXPECT_EQ(files.Serve(req).status, 404);
}

TEST(EmbeddedStaticFilesTest, WithoutTheWebPartRootSaysHowToBuildIt) {
  StaticFiles files{std::span<const EmbeddedFile>()};
  Request req;
  req.method = "GET";
  req.path = "/";
  Response r = files.Serve(req);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_NE(r.body.find("make web"), std::string::npos);
}

// The table this binary was built with: empty, or the dashboard with its index.html.
TEST(EmbeddedStaticFilesTest, BuiltInTableIsADashboardOrNothing) {
  auto table = EmbeddedDashboard();
  if (table.empty()) return;
  bool has_index = false;
  for (const auto& f : table) {
    EXPECT_TRUE(StaticPath("/" + std::string(f.path)).ok()) << f.path;  // every file is reachable
    has_index |= f.path == "index.html";
    // Prepared at build time exactly as the server prepares a file on disk.
    EXPECT_EQ(f.content_type, ContentTypeFor(f.path));
    EXPECT_EQ(f.etag, EtagFor(f.bytes));
    if (!f.gzip.empty()) {
      EXPECT_EQ(Gunzip(std::string(f.gzip)), f.bytes) << f.path;
    }
  }
  EXPECT_TRUE(has_index);
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
