// Request body decoding (Content-Encoding), streamed.
//
// A compressed body is a promise about its unpacked size that the client
// need not keep: 33 KB of zstd unpack to gigabytes. So the decoders here
// never hold the whole output. They hand it to a sink in pieces of at most
// kPiece bytes and stop as soon as the running total passes the cap, before
// the piece that passed it reaches the sink. The NDJSON parser is such a
// sink (it keeps only the line in progress), so memory for a compressed
// body is the body itself plus one piece, whatever it unpacks to.
//
// zstd frames also name the window the decoder must allocate; a frame that
// asks for more than kZstdWindowLogMax is refused instead of allocated.
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <algorithm>
#include <cctype>

#include "ingest/ingest.h"

namespace burnrate::ingest {
namespace {

constexpr size_t kPiece = 64 << 10;
// 8 MiB: the largest window zstd levels 1..19 use; --ultra and --long
// frames need more.
constexpr int kZstdWindowLogMax = 23;

Status TooBig(size_t max_bytes) {
  return Status::TooLarge("the decompressed body exceeds the limit of " +
                          std::to_string(max_bytes) + " bytes (server.max_decompressed_bytes)");
}

// Hands `n` more bytes to the sink unless that passes the cap.
Status Emit(const char* p, size_t n, size_t max_bytes, size_t* total, const DecodeSink& sink) {
  if (n > max_bytes - *total) return TooBig(max_bytes);
  *total += n;
  if (n) sink(std::string_view(p, n));
  return Status::OK();
}

Status Gunzip(std::string_view in, size_t max_bytes, const DecodeSink& sink) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 32) != Z_OK) return Status::Internal("zlib init failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = uInt(in.size());
  char buf[kPiece];
  size_t total = 0;
  int rc;
  Status st;
  for (;;) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      st = Status::InvalidArgument("body is not valid gzip");
      break;
    }
    if (st = Emit(buf, sizeof buf - zs.avail_out, max_bytes, &total, sink); !st.ok()) break;
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
  if (st.ok() && rc != Z_STREAM_END) return Status::InvalidArgument("gzip body is truncated");
  return st;
}

Status ZstdError(size_t rc) {
  if (ZSTD_getErrorCode(rc) == ZSTD_error_frameParameter_windowTooLarge) {
    return Status::TooLarge("the zstd body needs a window larger than " +
                            std::to_string(1 << (kZstdWindowLogMax - 20)) +
                            " MiB; compress with level 19 or lower, without --long");
  }
  return Status::InvalidArgument(std::string("body is not valid zstd: ") + ZSTD_getErrorName(rc));
}

Status Unzstd(std::string_view in, size_t max_bytes, const DecodeSink& sink) {
  std::unique_ptr<ZSTD_DStream, size_t (*)(ZSTD_DStream*)> ds(ZSTD_createDStream(),
                                                              ZSTD_freeDStream);
  if (!ds) return Status::Internal("zstd init failed");
  ZSTD_DCtx_setParameter(ds.get(), ZSTD_d_windowLogMax, kZstdWindowLogMax);
  ZSTD_inBuffer ib{in.data(), in.size(), 0};
  char buf[kPiece];
  size_t total = 0;
  size_t rc = 1;  // 0 once a frame is complete
  // Runs until the input is used up and a call yields nothing more: the
  // decoder may still hold output after it has read the last input byte.
  for (;;) {
    ZSTD_outBuffer ob{buf, sizeof buf, 0};
    rc = ZSTD_decompressStream(ds.get(), &ob, &ib);
    if (ZSTD_isError(rc)) return ZstdError(rc);
    if (Status st = Emit(buf, ob.pos, max_bytes, &total, sink); !st.ok()) return st;
    if (ib.pos == ib.size && (ob.pos == 0 || rc == 0)) break;
  }
  if (rc != 0) return Status::InvalidArgument("zstd body is truncated");
  return Status::OK();
}

}  // namespace

Result<Encoding> ParseEncoding(std::string_view header) {
  size_t first = header.find_first_not_of(" \t"), last = header.find_last_not_of(" \t");
  std::string_view v =
      first == std::string_view::npos ? "" : header.substr(first, last - first + 1);
  std::string e;  // lower case, and short: it is quoted in the error
  for (char c : v.substr(0, 64)) e += char(std::tolower(static_cast<unsigned char>(c)));
  if (e.empty() || e == "identity") return Encoding::kIdentity;
  if (e == "gzip" || e == "x-gzip") return Encoding::kGzip;
  if (e == "zstd") return Encoding::kZstd;
  return Status::Unsupported("Content-Encoding must be gzip, zstd or identity, not " + e +
                             (v.size() > 64 ? "..." : ""));
}

Status DecodeStream(std::string_view body, Encoding encoding, size_t max_bytes,
                    const DecodeSink& sink) {
  switch (encoding) {
    case Encoding::kIdentity:
      if (body.size() > max_bytes) return TooBig(max_bytes);
      for (size_t pos = 0; pos < body.size(); pos += kPiece) sink(body.substr(pos, kPiece));
      return Status::OK();
    case Encoding::kGzip:
      return Gunzip(body, max_bytes, sink);
    case Encoding::kZstd:
      return Unzstd(body, max_bytes, sink);
  }
  return Status::Internal("unknown encoding");
}

Result<std::string> Decompress(std::string_view body, std::string_view encoding, size_t max_bytes) {
  BR_ASSIGN_OR_RETURN(Encoding e, ParseEncoding(encoding));
  if (e == Encoding::kIdentity) return std::string(body);
  std::string out;
  BR_RETURN_IF_ERROR(
      DecodeStream(body, e, max_bytes, [&](std::string_view piece) { out.append(piece); }));
  return out;
}

}  // namespace burnrate::ingest
