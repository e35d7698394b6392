// libFuzzer target for the static file server's path handling
// (http/static_files.h): StaticPath() on the raw request path, then
// ResolveBeneath() and StaticFiles::Serve() against a real directory that
// holds symlinks pointing out of it (to a secret file, to a directory
// holding one, to /etc and /dev/zero).
//
// Beyond "no crash, no sanitizer report", it checks on every input: a path
// StaticPath() accepts is relative, has no empty, "." or ".." name and no
// '%', backslash or NUL; whatever ResolveBeneath() resolves is a regular file
// whose canonical path lies beneath the canonical root; and no answer ever
// carries the secret.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "http/static_files.h"

namespace fs = std::filesystem;
using burnrate::http::ResolveBeneath;
using burnrate::http::StaticFiles;
using burnrate::http::StaticPath;

namespace {

constexpr std::string_view kSecret = "fuzz-secret-outside-the-root";

void Check(bool ok) {
  if (!ok) std::abort();
}

struct Tree {
  fs::path top, root, canonical_root;
  Tree() {
    char tmpl[] = "/tmp/static_path_fuzz.XXXXXX";
    Check(mkdtemp(tmpl) != nullptr);
    top = tmpl;
    root = top / "root";
    fs::create_directories(root / "assets");
    fs::create_directories(top / "outside" / "sub");
    std::ofstream(top / "outside" / "secret.txt") << kSecret;
    std::ofstream(top / "outside" / "sub" / "secret.txt") << kSecret;
    std::ofstream(top / "secret.txt") << kSecret;
    std::ofstream(root / "index.html") << "<!doctype html><title>app</title>";
    std::ofstream(root / "assets" / "app.js") << "export const x = 1;";
    // One-letter names, so that the fuzzer finds them from nothing.
    fs::create_symlink(top / "outside" / "secret.txt", root / "l");  // a file out
    fs::create_symlink(top / "outside", root / "d");  // a directory out (d/secret.txt)
    fs::create_symlink("../../outside/secret.txt", root / "assets" / "r");
    fs::create_symlink("../secret.txt", root / "u");
    fs::create_symlink("/etc", root / "e");  // e/passwd
    fs::create_symlink("/dev/zero", root / "z");
    fs::create_symlink("assets/app.js", root / "i");  // stays beneath: allowed
    canonical_root = fs::canonical(root);
  }
  ~Tree() {
    std::error_code ec;
    fs::remove_all(top, ec);
  }
};

bool Beneath(const fs::path& root, const fs::path& p) {
  auto [r, q] = std::mismatch(root.begin(), root.end(), p.begin(), p.end());
  return r == root.end() && q != p.end();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Tree tree;
  static StaticFiles files(tree.root);
  std::string_view path(reinterpret_cast<const char*>(data), size);

  auto rel = StaticPath(path);
  if (rel.ok()) {
    std::string_view r = *rel;
    Check(!r.empty() && r[0] != '/');
    Check(r.find_first_of(std::string_view("%\\\0", 3)) == std::string_view::npos);
    Check(r.find("//") == std::string_view::npos && !r.ends_with('/') && r[0] != '.' &&
          r.find("/.") == std::string_view::npos);
  }
  // The resolver on its own, also for names StaticPath() would refuse.
  for (std::string_view candidate :
       {rel.ok() ? std::string_view(*rel) : std::string_view(), path}) {
    auto resolved = ResolveBeneath(tree.canonical_root, candidate);
    if (!resolved.ok()) continue;
    Check(Beneath(tree.canonical_root, *resolved));
    Check(fs::canonical(*resolved) == *resolved);
    Check(fs::is_regular_file(*resolved));
  }
  burnrate::http::Request req;
  req.method = "GET";
  req.path = std::string(path);
  auto res = files.Serve(req);
  Check(res.body.find(kSecret) == std::string::npos);
  Check(res.status == 200 || res.status == 404);
  if (!rel.ok()) Check(res.status == 404);
  return 0;
}
