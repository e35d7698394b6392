// Contract tests for ingest::Decompress: gzip and zstd bodies, limits and
// clear errors.
#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

#include "ingest/compress_test_util.h"
#include "ingest/ingest.h"

namespace burnrate::ingest {
namespace {

using testing_util::Gzip;
using testing_util::Zstd;

std::string Body(size_t lines) {
  std::string s;
  for (size_t i = 0; i < lines; ++i)
    s += R"({"id":")" + std::to_string(i) +
         R"(","user":"u","model":"m"})"
         "\n";
  return s;
}

TEST(Decompress, IdentityPassesThrough) {
  EXPECT_EQ(*Decompress("abc", "", 10), "abc");
  EXPECT_EQ(*Decompress("abc", "identity", 10), "abc");
}

TEST(Decompress, GzipRoundTrip) {
  std::string body = Body(20'000);  // > 64 KiB of output
  EXPECT_EQ(*Decompress(Gzip(body), "gzip", 1 << 30), body);
  EXPECT_EQ(*Decompress(Gzip(body), "x-gzip", 1 << 30), body);
  EXPECT_EQ(*Decompress(Gzip(""), "gzip", 10), "");
}

TEST(Decompress, ZstdRoundTrip) {
  std::string body = Body(20'000);
  EXPECT_EQ(*Decompress(Zstd(body), "zstd", 1 << 30), body);
  EXPECT_EQ(*Decompress(Zstd(""), "zstd", 10), "");
  // Several frames back to back are one body.
  EXPECT_EQ(*Decompress(Zstd("abc\n") + Zstd("def\n"), "zstd", 100), "abc\ndef\n");
}

TEST(Decompress, ConcatenatedGzipMembersAreOneBody) {
  // RFC 1952: a gzip file may hold several members (cat a.gz b.gz); gzip -d
  // decodes them all. Dropping the second would silently lose events.
  EXPECT_EQ(*Decompress(Gzip("abc\n") + Gzip("def\n"), "gzip", 100), "abc\ndef\n");
}

TEST(Decompress, CorruptAndTruncatedBodiesAreErrors) {
  std::string body = Body(1000);
  std::string gz = Gzip(body), zs = Zstd(body);
  auto bad_gz = Decompress("definitely not gzip", "gzip", 1 << 20);
  ASSERT_FALSE(bad_gz.ok());
  EXPECT_EQ(bad_gz.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(bad_gz.status().message().find("gzip"), std::string::npos);
  EXPECT_FALSE(Decompress(gz.substr(0, gz.size() / 2), "gzip", 1 << 20).ok());
  EXPECT_FALSE(Decompress(gz.substr(0, gz.size() - 4), "gzip", 1 << 20).ok());  // no trailer
  auto bad_zs = Decompress("definitely not zstd", "zstd", 1 << 20);
  ASSERT_FALSE(bad_zs.ok());
  EXPECT_EQ(bad_zs.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(bad_zs.status().message().find("zstd"), std::string::npos);
  EXPECT_FALSE(Decompress(zs.substr(0, zs.size() / 2), "zstd", 1 << 20).ok());
  EXPECT_FALSE(Decompress("", "gzip", 10).ok());
  EXPECT_FALSE(Decompress("", "zstd", 10).ok());
}

TEST(Decompress, RefusesBombs) {
  std::string zeros(8 << 20, '0');
  auto g = Decompress(Gzip(zeros), "gzip", 1 << 20);
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), Status::Code::kTooLarge);  // 413
  EXPECT_NE(g.status().message().find("exceeds the limit of 1048576 bytes"), std::string::npos);
  auto z = Decompress(Zstd(zeros), "zstd", 1 << 20);
  ASSERT_FALSE(z.ok());
  EXPECT_EQ(z.status().code(), Status::Code::kTooLarge);
  EXPECT_NE(z.status().message().find("max_decompressed_bytes"), std::string::npos);
  // Exactly at the limit is fine.
  auto gz_at = Decompress(Gzip(zeros), "gzip", zeros.size());
  ASSERT_TRUE(gz_at.ok()) << gz_at.status().ToString();
  EXPECT_EQ(gz_at->size(), zeros.size());
  auto zs_at = Decompress(Zstd(zeros), "zstd", zeros.size());
  ASSERT_TRUE(zs_at.ok()) << zs_at.status().ToString();
  EXPECT_EQ(zs_at->size(), zeros.size());
}

// The decoders stream: the sink sees pieces of at most 64 KiB and never
// more than the cap in all, so a bomb is stopped before it is held.
TEST(DecodeStream, StopsAtTheCapWhileStreaming) {
  std::string zeros(64 << 20, '0');
  for (Encoding e : {Encoding::kGzip, Encoding::kZstd}) {
    std::string packed = e == Encoding::kGzip ? Gzip(zeros) : Zstd(zeros);
    size_t seen = 0, largest = 0, pieces = 0;
    Status st = DecodeStream(packed, e, 1'000'000, [&](std::string_view p) {
      seen += p.size();
      largest = std::max(largest, p.size());
      ++pieces;
    });
    EXPECT_EQ(st.code(), Status::Code::kTooLarge);
    EXPECT_LE(seen, 1'000'000u);
    EXPECT_GT(seen, 1'000'000u - (64u << 10));  // stopped within one piece of the cap
    EXPECT_LE(largest, 64u << 10);
    EXPECT_GT(pieces, 1u);
  }
  // Identity is held to the cap too.
  EXPECT_EQ(DecodeStream("abcd", Encoding::kIdentity, 3, [](std::string_view) {}).code(),
            Status::Code::kTooLarge);
  std::string got;
  EXPECT_TRUE(
      DecodeStream("abc", Encoding::kIdentity, 3, [&](std::string_view p) { got += p; }).ok());
  EXPECT_EQ(got, "abc");
}

TEST(DecodeStream, RefusesZstdFramesThatAskForAHugeWindow) {
  // A frame that declares a 128 MiB window (size unknown up front, as a
  // streaming compressor writes it) would make the decoder allocate it.
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog, 27);
  std::string in = Body(100), out(ZSTD_compressBound(in.size()) + 64, '\0');
  ZSTD_inBuffer ib{in.data(), in.size(), 0};
  ZSTD_outBuffer ob{out.data(), out.size(), 0};
  ASSERT_FALSE(ZSTD_isError(ZSTD_compressStream2(c, &ob, &ib, ZSTD_e_continue)));
  ZSTD_inBuffer none{nullptr, 0, 0};
  ASSERT_EQ(ZSTD_compressStream2(c, &ob, &none, ZSTD_e_end), 0u);
  ZSTD_freeCCtx(c);
  out.resize(ob.pos);
  Status st = DecodeStream(out, Encoding::kZstd, 1 << 30, [](std::string_view) {});
  EXPECT_EQ(st.code(), Status::Code::kTooLarge) << st.ToString();
  EXPECT_NE(st.message().find("window"), std::string::npos);
}

TEST(ParseEncoding, IsCaseInsensitive) {
  EXPECT_EQ(*ParseEncoding("GZIP"), Encoding::kGzip);
  EXPECT_EQ(*ParseEncoding("Gzip"), Encoding::kGzip);
  EXPECT_EQ(*ParseEncoding(" x-gzip "), Encoding::kGzip);
  EXPECT_EQ(*ParseEncoding("Zstd"), Encoding::kZstd);
  EXPECT_EQ(*ParseEncoding("ZSTD"), Encoding::kZstd);
  EXPECT_EQ(*ParseEncoding("Identity"), Encoding::kIdentity);
  EXPECT_EQ(*ParseEncoding(""), Encoding::kIdentity);
  EXPECT_EQ(*Decompress(Gzip("abc\n"), "GZIP", 100), "abc\n");
  EXPECT_EQ(*Decompress(Zstd("abc\n"), "Zstd", 100), "abc\n");
  auto br = ParseEncoding("Br");
  ASSERT_FALSE(br.ok());
  EXPECT_EQ(br.status().code(), Status::Code::kUnsupported);  // 415
  EXPECT_NE(br.status().message().find("not br"), std::string::npos);
  // A long header is quoted short.
  auto junk = ParseEncoding(std::string(10'000, 'q'));
  ASSERT_FALSE(junk.ok());
  EXPECT_LT(junk.status().message().size(), 200u);
}

TEST(Decompress, UnknownEncodingIsUnsupported) {
  auto r = Decompress("x", "br", 10);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kUnsupported);
  EXPECT_NE(r.status().message().find("br"), std::string::npos);
}

}  // namespace
}  // namespace burnrate::ingest
