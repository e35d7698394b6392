#include "http/static_files.h"

#include <zlib.h>

#include <fstream>
#include <sstream>

#include "common/hash.h"

namespace burnrate::http {
namespace {

namespace fs = std::filesystem;

bool Compressible(std::string_view type) {
  return type.starts_with("text/") || type.starts_with("application/json") || type == "image/svg+xml";
}

std::string Gzip(std::string_view in) {
  z_stream zs{};
  if (deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  std::string out(deflateBound(&zs, uLong(in.size())) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = uInt(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = uInt(out.size());
  int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return rc == Z_STREAM_END ? out : std::string();
}

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

// Root-relative path for a request path, or empty when it would leave the
// root or names something odd.
std::string Sanitize(std::string_view path) {
  if (path.empty() || path[0] != '/') return {};
  if (path.find("..") != std::string_view::npos || path.find('\\') != std::string_view::npos ||
      path.find('\0') != std::string_view::npos)
    return {};
  return path == "/" ? std::string("index.html") : std::string(path.substr(1));
}

}  // namespace

std::string ContentTypeFor(std::string_view path) {
  if (path.ends_with(".html")) return "text/html; charset=utf-8";
  if (path.ends_with(".js") || path.ends_with(".mjs")) return "text/javascript; charset=utf-8";
  if (path.ends_with(".css")) return "text/css; charset=utf-8";
  if (path.ends_with(".svg")) return "image/svg+xml";
  if (path.ends_with(".png")) return "image/png";
  if (path.ends_with(".json")) return "application/json";
  if (path.ends_with(".woff2")) return "font/woff2";
  if (path.ends_with(".txt")) return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

std::shared_ptr<const StaticFiles::File> StaticFiles::Load(const std::string& rel) {
  fs::path p = root_ / rel;
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return nullptr;
  auto mtime = fs::last_write_time(p, ec);
  uintmax_t size = fs::file_size(p, ec);
  if (ec) return nullptr;
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(rel);
    if (it != cache_.end() && it->second->mtime == mtime && it->second->size == size) return it->second;
  }
  std::ifstream in(p, std::ios::binary);
  if (!in) return nullptr;
  std::stringstream ss;
  ss << in.rdbuf();
  auto f = std::make_shared<File>();
  f->mtime = mtime;
  f->size = size;
  f->body = ss.str();
  f->content_type = ContentTypeFor(rel);
  char tag[24];
  snprintf(tag, sizeof tag, "\"%016llx\"", static_cast<unsigned long long>(Hash64(f->body)));
  f->etag = tag;
  if (Compressible(f->content_type) && f->body.size() > 256) {
    f->gzip = Gzip(f->body);
    if (f->gzip.size() >= f->body.size()) f->gzip.clear();
  }
  std::lock_guard lock(mu_);
  cache_[rel] = f;
  return f;
}

Response StaticFiles::Serve(const Request& req) {
  std::string rel = Sanitize(req.path);
  if (rel.empty()) return ErrorResponse(Status::NotFound("no such file"), "path");
  auto f = Load(rel);
  // A missing file is a client-side route, answered with the app; a missing
  // hashed asset (an old chunk after a redeploy) is a 404, not HTML.
  if (!f && rel.starts_with("assets/")) return ErrorResponse(Status::NotFound("no such asset"), "path");
  if (!f) f = Load("index.html");
  if (!f) return ErrorResponse(Status::NotFound("no dashboard at " + root_.string() + " (build it with make web)"));
  Response res;
  res.content_type = f->content_type;
  res.headers.emplace_back("ETag", f->etag);
  res.headers.emplace_back("Vary", "Accept-Encoding");
  bool immutable = rel.starts_with("assets/");  // found: missing assets are 404 above
  res.headers.emplace_back("Cache-Control", immutable ? "public, max-age=31536000, immutable" : "no-cache");
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
