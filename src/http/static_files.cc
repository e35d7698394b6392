#include "http/static_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "http/file_encoding.h"

namespace burnrate::http {
namespace {

namespace fs = std::filesystem;

// Whether the Accept-Encoding header allows gzip (and does not refuse it
// with q=0).
bool AcceptsGzip(std::string_view accept) {
  size_t at = accept.find("gzip");
  if (at == std::string_view::npos) return false;
  std::string_view rest = accept.substr(at + 4);
  rest = rest.substr(0, rest.find(','));
  size_t q = rest.find("q=");
  if (q == std::string_view::npos) return true;
  std::string_view v = rest.substr(q + 2);
  return !(v.starts_with("0") && v.find_first_not_of("0.", 0) == std::string_view::npos);
}

// Characters a served file name may contain, besides letters and digits.
// Everything that could change a path's meaning on the way to the disk
// ('%', backslash, NUL, ':', ...) is outside it.
bool NameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("-_.~@+=,").find(c) != std::string_view::npos;
}

// Shown at "/" by a binary built without the web part.
constexpr std::string_view kHowToBuildPage =
    "<!doctype html>\n<html lang=\"en\"><head><meta "
    "charset=\"utf-8\"><title>burnrate</title></head>\n"
    "<body style=\"font-family: sans-serif; max-width: 40em; margin: 3em auto\">\n"
    "<h1>burnrate</h1>\n"
    "<p>This burnrate binary was built without its web dashboard. The HTTP API works as "
    "usual.</p>\n"
    "<p>To add the dashboard, build it and then rebuild burnrate, which compiles it in:</p>\n"
    "<pre>make web\nmake build</pre>\n"
    "<p>(<code>make web</code> needs Node.js and npm; see docs/dashboard.md.)</p>\n"
    "</body></html>\n";

}  // namespace

Result<std::string> StaticPath(std::string_view path) {
  if (path == "/") return std::string("index.html");
  // A dashboard's paths are short; a long one is an attack or a mistake.
  constexpr size_t kMaxPath = 1024;
  if (path.size() > kMaxPath || path.empty() || path[0] != '/') {
    return Status::NotFound("no such file: a dashboard path is /name/name..., at most 1024 bytes");
  }
  std::string_view rest = path.substr(1);
  while (true) {
    size_t slash = rest.find('/');
    std::string_view name = rest.substr(0, slash);
    // An empty name ("//", a trailing '/') would make the next one absolute
    // when joined to the root; a leading '.' covers "." and ".." and hidden files.
    if (name.empty() || name[0] == '.' || !std::all_of(name.begin(), name.end(), NameChar)) {
      return Status::NotFound(
          "no such file: a dashboard path is made of names of letters, digits and -_.~@+=, "
          "(no empty name, no name starting with '.', no escapes)");
    }
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  return std::string(path.substr(1));
}

Result<fs::path> ResolveBeneath(const fs::path& canonical_root, std::string_view rel) {
  fs::path relative(rel);
  bool climbs = std::any_of(relative.begin(), relative.end(),
                            [](const fs::path& part) { return part == ".."; });
  if (rel.empty() || rel.find('\0') != std::string_view::npos || relative.is_absolute() ||
      relative.has_root_name() || climbs) {
    return Status::InvalidArgument("refused: not a path beneath the dashboard root");
  }
  std::error_code ec;
  fs::path p = fs::canonical(canonical_root / relative, ec);  // resolves every symlink and ".."
  if (ec) return Status::NotFound("no such file");
  auto [r, q] = std::mismatch(canonical_root.begin(), canonical_root.end(), p.begin(), p.end());
  if (r != canonical_root.end() || q == p.end()) {
    return Status::InvalidArgument("refused: the path leads out of the dashboard root");
  }
  if (!fs::is_regular_file(fs::status(p, ec)))
    return Status::InvalidArgument("refused: not a regular file");
  return p;
}

StaticFiles::StaticFiles(std::span<const EmbeddedFile> files) {
  // Prepared at build time: only copied here (a few hundred KB, well under a millisecond).
  for (const auto& e : files) {
    auto f = std::make_shared<File>();
    f->body = e.bytes;
    f->gzip = e.gzip;
    f->etag = e.etag;
    f->content_type = e.content_type;
    cache_[std::string(e.path)] = std::move(f);
  }
  if (!cache_.contains("index.html"))
    cache_["index.html"] = MakeFile("index.html", std::string(kHowToBuildPage));
}

StaticFiles::StaticFiles(fs::path root) : root_(std::move(root)) {}

std::shared_ptr<StaticFiles::File> StaticFiles::MakeFile(std::string_view rel, std::string body) {
  auto f = std::make_shared<File>();
  f->body = std::move(body);
  f->content_type = ContentTypeFor(rel);
  f->etag = EtagFor(f->body);
  f->gzip = GzipIfSmaller(f->content_type, f->body);
  return f;
}

Result<StaticFiles::FilePtr> StaticFiles::Load(const std::string& rel) {
  if (root_.empty()) {  // embedded: cache_ is complete and never written again
    auto it = cache_.find(rel);
    return it == cache_.end() ? FilePtr() : it->second;
  }
  // Canonical on every request: the root may appear (a first `make web`)
  // or move while the server runs.
  std::error_code ec;
  fs::path root = fs::canonical(root_, ec);
  if (ec) return FilePtr();
  return LoadFromDisk(root, rel);
}

Result<StaticFiles::FilePtr> StaticFiles::LoadFromDisk(const fs::path& canonical_root,
                                                       const std::string& rel) {
  auto path = ResolveBeneath(canonical_root, rel);
  if (!path.ok()) {
    if (path.status().code() == Status::Code::kNotFound) return FilePtr();
    return path.status();
  }
  // O_NOFOLLOW and fstat: what is opened is the regular file just resolved,
  // not a symlink swapped in since.
  int fd = open(path->c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return Status::InvalidArgument("refused: cannot open the file");
  struct stat st;
  constexpr off_t kMaxFile = 64 << 20;  // a dashboard file is far smaller
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > kMaxFile) {
    close(fd);
    return Status::InvalidArgument("refused: not a regular file of at most 64 MiB");
  }
  int64_t mtime_ns = int64_t(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(rel);
    if (it != cache_.end() && it->second->mtime_ns == mtime_ns && it->second->size == st.st_size) {
      close(fd);
      return FilePtr(it->second);
    }
  }
  std::string body(size_t(st.st_size), '\0');
  size_t got = 0;
  while (got < body.size()) {
    ssize_t n = read(fd, body.data() + got, body.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += size_t(n);
  }
  close(fd);
  if (got != body.size())
    return Status::InvalidArgument("refused: the file changed while being read");
  auto f = MakeFile(rel, std::move(body));
  f->mtime_ns = mtime_ns;
  f->size = st.st_size;
  std::lock_guard lock(mu_);
  cache_[rel] = f;
  return FilePtr(f);
}

Response StaticFiles::Serve(const Request& req) {
  auto path = StaticPath(req.path);
  if (!path.ok()) return ErrorResponse(path.status(), "path");
  const std::string& rel = *path;
  auto found = Load(rel);
  // Something there that may not be served (a symlink out, a directory) is
  // a 404, never the app: an attack should see a plain refusal.
  if (!found.ok()) return ErrorResponse(Status::NotFound(found.status().message()), "path");
  FilePtr f = *found;
  // A missing file is a client-side route, answered with the app; a missing
  // hashed asset (an old chunk after a redeploy) is a 404, not HTML.
  if (!f && rel.starts_with("assets/"))
    return ErrorResponse(Status::NotFound("no such asset"), "path");
  if (!f) {
    auto index = Load("index.html");
    if (index.ok()) f = *index;
  }
  if (!f)
    return ErrorResponse(
        Status::NotFound("no dashboard at " + root_.string() + " (build it with make web)"));
  Response res;
  res.content_type = f->content_type;
  res.headers.emplace_back("ETag", f->etag);
  res.headers.emplace_back("Vary", "Accept-Encoding");
  bool immutable = rel.starts_with("assets/");  // found: missing assets are 404 above
  res.headers.emplace_back("Cache-Control",
                           immutable ? "public, max-age=31536000, immutable" : "no-cache");
  if (req.Header("if-none-match") == f->etag) {
    res.status = 304;
    return res;
  }
  if (!f->gzip.empty() && AcceptsGzip(req.Header("accept-encoding"))) {
    res.body = f->gzip;
    res.headers.emplace_back("Content-Encoding", "gzip");
  } else {
    res.body = f->body;
  }
  return res;
}

}  // namespace burnrate::http
