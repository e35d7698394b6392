#include <zlib.h>
#include <zstd.h>

#include "ingest/ingest.h"

namespace burnrate::ingest {

static Result<std::string> Gunzip(std::string_view in, size_t max_bytes) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 32) != Z_OK) return Status::Internal("zlib init failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = uInt(in.size());
  std::string out;
  char buf[1 << 16];
  int rc;
  for (;;) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      return Status::InvalidArgument("body is not valid gzip");
    }
    out.append(buf, sizeof buf - zs.avail_out);
    if (out.size() > max_bytes) {
      inflateEnd(&zs);
      return Status::InvalidArgument("decompressed body exceeds " + std::to_string(max_bytes) + " bytes");
    }
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      // RFC 1952: members may follow one another (cat a.gz b.gz) and gzip -d
      // decodes them all; stopping at the first would drop events silently.
      inflateReset(&zs);
      continue;
    }
    if (zs.avail_in == 0 && zs.avail_out != 0) break;  // input ended mid-stream
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) return Status::InvalidArgument("gzip body is truncated");
  return out;
}

static Result<std::string> Unzstd(std::string_view in, size_t max_bytes) {
  ZSTD_DStream* ds = ZSTD_createDStream();
  ZSTD_inBuffer ib{in.data(), in.size(), 0};
  std::string out;
  char buf[1 << 16];
  size_t rc = 1;
  while (ib.pos < ib.size) {
    ZSTD_outBuffer ob{buf, sizeof buf, 0};
    rc = ZSTD_decompressStream(ds, &ob, &ib);
    if (ZSTD_isError(rc)) {
      ZSTD_freeDStream(ds);
      return Status::InvalidArgument(std::string("body is not valid zstd: ") + ZSTD_getErrorName(rc));
    }
    out.append(buf, ob.pos);
    if (out.size() > max_bytes) {
      ZSTD_freeDStream(ds);
      return Status::InvalidArgument("decompressed body exceeds " + std::to_string(max_bytes) + " bytes");
    }
    if (ob.pos == 0 && ib.pos == ib.size) break;
  }
  // Flush what the decoder still holds.
  while (rc != 0) {
    ZSTD_outBuffer ob{buf, sizeof buf, 0};
    rc = ZSTD_decompressStream(ds, &ob, &ib);
    if (ZSTD_isError(rc) || ob.pos == 0) break;
    out.append(buf, ob.pos);
  }
  ZSTD_freeDStream(ds);
  if (rc != 0) return Status::InvalidArgument("zstd body is truncated");
  return out;
}

Result<std::string> Decompress(std::string_view body, std::string_view encoding, size_t max_bytes) {
  if (encoding.empty() || encoding == "identity") return std::string(body);
  if (encoding == "gzip" || encoding == "x-gzip") return Gunzip(body, max_bytes);
  if (encoding == "zstd") return Unzstd(body, max_bytes);
  return Status::Unsupported("Content-Encoding must be gzip, zstd or identity, not " + std::string(encoding));
}

}  // namespace burnrate::ingest
