// Contract tests for http/request_head.h without sockets: what a head must
// look like to be admitted, and the answer to each kind of bad head
// (including what Beast itself rejects, so that an upgrade that changes it
// shows up here).
#include "http/request_head.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace burnrate::http {
namespace {

HeadLimits Limits() {
  HeadLimits l;
  l.max_header_bytes = 8 * 1024;
  l.max_body_bytes = 1 << 20;
  return l;
}

TEST(RequestHead, ParsesAGoodHead) {
  std::string bytes =
      "POST /v1/events?dry_run=1&x=a%20b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
      "Authorization: Bearer k\r\nContent-Encoding: gzip\r\n\r\nhello";
  HeadParse p = ParseRequestHead(bytes, Limits());
  ASSERT_TRUE(p.complete);
  ASSERT_TRUE(p.error.ok()) << p.error.message;
  EXPECT_EQ(p.consumed, bytes.size() - 5);
  const Request& r = p.head.request;
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/v1/events");
  EXPECT_EQ(r.Query("x"), "a b");
  EXPECT_EQ(r.raw_query, "dry_run=1&x=a%20b");       // as sent, for a proxy to pass on
  EXPECT_EQ(r.Header("authorization"), "Bearer k");  // names are lower-case
  EXPECT_EQ(r.Header("content-encoding"), "gzip");
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(p.head.content_length, 5u);
  EXPECT_TRUE(p.head.has_body);
  EXPECT_FALSE(p.head.chunked);
  EXPECT_FALSE(p.head.expect_continue);
  EXPECT_TRUE(p.head.keep_alive);
}

// A repeated name keeps its last value, once. Past 32 fields the map is
// built by sorting, not pairwise: the same answer.
TEST(RequestHead, RepeatedHeaderNamesKeepTheLastValue) {
  for (int filler : {0, 100}) {
    std::string bytes = "GET /x HTTP/1.1\r\nX-A: 1\r\nHost: h\r\nx-a: 2\r\n";
    for (int i = 0; i < filler; ++i) bytes += "F" + std::to_string(i) + ": v\r\n";
    bytes += "X-B: 3\r\nX-A: 4\r\n\r\n";
    HeadParse p = ParseRequestHead(bytes, Limits());
    ASSERT_TRUE(p.complete && p.error.ok()) << p.error.message;
    const HeaderMap& h = p.head.request.headers;
    EXPECT_EQ(h.size(), size_t(3 + filler)) << filler;
    EXPECT_EQ(p.head.request.Header("x-a"), "4");
    EXPECT_EQ(p.head.request.Header("X-A"), "");  // names are looked up lower-case
    EXPECT_EQ(p.head.request.Header("x-b"), "3");
    EXPECT_EQ(p.head.request.Header("host"), "h");
    std::set<std::string> names;
    for (const auto& [k, v] : h) EXPECT_TRUE(names.insert(k).second) << k << " twice";
  }
  HeaderMap m;
  m["a"] = "1";
  m.insert_or_assign("b", "2");
  m["a"] = "3";
  ASSERT_NE(m.Find("a"), nullptr);
  EXPECT_EQ(*m.Find("a"), "3");
  EXPECT_EQ(m.Find("c"), nullptr);
  EXPECT_EQ(m.size(), 2u);
}

TEST(RequestHead, IncompleteHeadAsksForMore) {
  EXPECT_FALSE(ParseRequestHead("", Limits()).complete);
  EXPECT_FALSE(ParseRequestHead("GET / HTTP/1.1\r\nHost: x\r\n", Limits()).complete);
}

TEST(RequestHead, BodylessAndChunkedAndExpect) {
  HeadParse get = ParseRequestHead("GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n", Limits());
  ASSERT_TRUE(get.error.ok());
  EXPECT_FALSE(get.head.has_body);
  EXPECT_FALSE(get.head.keep_alive);
  HeadParse chunked = ParseRequestHead(
      "POST /x HTTP/1.1\r\nTransfer-Encoding: Chunked\r\nExpect: 100-Continue\r\n\r\n", Limits());
  ASSERT_TRUE(chunked.error.ok()) << chunked.error.message;
  EXPECT_TRUE(chunked.head.chunked);
  EXPECT_TRUE(chunked.head.has_body);
  EXPECT_FALSE(chunked.head.content_length.has_value());
  EXPECT_TRUE(chunked.head.expect_continue);
  // HTTP/1.0 clients do not wait for 100 Continue.
  HeadParse old = ParseRequestHead(
      "POST /x HTTP/1.0\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n", Limits());
  ASSERT_TRUE(old.error.ok());
  EXPECT_FALSE(old.head.expect_continue);
  EXPECT_FALSE(old.head.keep_alive);
}

TEST(RequestHead, BadHeadsGetTheirStatusAndAJsonBody) {
  struct Case {
    const char* what;
    std::string bytes;
    int status;
  };
  std::string big = "GET / HTTP/1.1\r\nX-Big: " + std::string(9000, 'a') + "\r\n\r\n";
  std::vector<Case> cases = {
      {"not HTTP", "GARBAGE\r\n\r\n", 400},
      {"bad method", "G@T / HTTP/1.1\r\n\r\n", 400},
      {"bad version", "GET / HTTP/9\r\n\r\n", 400},
      {"target not a path", "GET ?x=1 HTTP/1.1\r\n\r\n", 400},
      {"absolute-form target", "GET http://evil/ HTTP/1.1\r\n\r\n", 400},
      {"asterisk target", "OPTIONS * HTTP/1.1\r\n\r\n", 400},
      {"space in a field name", "GET / HTTP/1.1\r\nBad Name: y\r\n\r\n", 400},
      {"control byte in a value", std::string("GET / HTTP/1.1\r\nX: a\x01z\r\n\r\n"), 400},
      {"head over the limit", big, 431},
      // Beast limits the request line and the fields each on their own.
      {"line and fields each under the limit, together over it",
       "GET /" + std::string(5000, 'a') + " HTTP/1.1\r\nX: " + std::string(5000, 'b') + "\r\n\r\n",
       431},
      {"body over the limit", "POST / HTTP/1.1\r\nContent-Length: 1048577\r\n\r\n", 413},
      {"Content-Length not a number", "POST / HTTP/1.1\r\nContent-Length: 5x\r\n\r\n", 400},
      {"negative Content-Length", "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400},
      {"two different Content-Lengths",
       "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400},
      {"two equal Content-Lengths",
       "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", 400},
      {"a list of Content-Lengths", "POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n", 400},
      {"xchunked with Content-Length",
       "POST / HTTP/1.1\r\nTransfer-Encoding: xchunked\r\nContent-Length: 5\r\n\r\n", 400},
      {"Content-Length then xchunked",
       "POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: xchunked\r\n\r\n", 400},
      {"chunked then Content-Length",
       "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 400},
      {"Content-Length then chunked",
       "POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      {"Transfer-Encoding twice",
       "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      {"xchunked alone", "POST / HTTP/1.1\r\nTransfer-Encoding: xchunked\r\n\r\n", 501},
      {"gzip", "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
      {"gzip, chunked", "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501},
      {"chunked, chunked", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 501},
      {"Expect other than 100-continue",
       "POST / HTTP/1.1\r\nContent-Length: 1\r\nExpect: 200-ok\r\n\r\n", 417},
  };
  for (const Case& c : cases) {
    HeadParse p = ParseRequestHead(c.bytes, Limits());
    ASSERT_TRUE(p.complete) << c.what;
    EXPECT_EQ(p.error.status, c.status) << c.what << ": " << p.error.message;
    Response r = p.error.ToResponse();
    EXPECT_EQ(r.status, c.status) << c.what;
    EXPECT_EQ(r.content_type, "application/json");
    EXPECT_EQ(r.body.rfind("{\"error\":\"", 0), 0u) << c.what << ": " << r.body;
  }
}

}  // namespace
}  // namespace burnrate::http
