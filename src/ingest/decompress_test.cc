// Contract tests for ingest::Decompress: gzip and zstd bodies, limits and
// clear errors.
#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

#include "ingest/ingest.h"

namespace burnrate::ingest {
namespace {

std::string Gzip(std::string_view in) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&zs, uLong(in.size())) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = uInt(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = uInt(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::string Zstd(std::string_view in) {
  std::string out(ZSTD_compressBound(in.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

std::string Body(size_t lines) {
  std::string s;
  for (size_t i = 0; i < lines; ++i) s += R"({"id":")" + std::to_string(i) + R"(","user":"u","model":"m"})" "\n";
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
  EXPECT_NE(g.status().message().find("exceeds"), std::string::npos);
  auto z = Decompress(Zstd(zeros), "zstd", 1 << 20);
  ASSERT_FALSE(z.ok());
  EXPECT_NE(z.status().message().find("exceeds"), std::string::npos);
}

TEST(Decompress, UnknownEncodingIsUnsupported) {
  auto r = Decompress("x", "br", 10);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kUnsupported);
  EXPECT_NE(r.status().message().find("br"), std::string::npos);
}

}  // namespace
}  // namespace burnrate::ingest
