#include "http/file_encoding.h"

#include <xxhash.h>
#include <zlib.h>

#include <cstdio>

namespace burnrate::http {

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

std::string EtagFor(std::string_view body) {
  char tag[24];
  snprintf(tag, sizeof tag, "\"%016llx\"",
           static_cast<unsigned long long>(XXH3_64bits(body.data(), body.size())));
  return tag;
}

std::string GzipIfSmaller(std::string_view content_type, std::string_view body) {
  // Images other than SVG, fonts and the like are compressed already.
  bool compressible = content_type.starts_with("text/") ||
                      content_type.starts_with("application/json") ||
                      content_type == "image/svg+xml";
  if (!compressible || body.size() <= 256) return {};
  z_stream zs{};
  // 15 + 16: a gzip wrapper, whose header zlib writes with no time stamp.
  if (deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  std::string out(deflateBound(&zs, uLong(body.size())) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
  zs.avail_in = uInt(body.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = uInt(out.size());
  int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END || out.size() >= body.size()) return {};
  return out;
}

}  // namespace burnrate::http
