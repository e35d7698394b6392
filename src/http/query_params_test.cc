// The shared query-parameter parsers (http.h): values, fallbacks, and the
// bad parameter named in the error's field().
#include <gtest/gtest.h>

#include "http/http.h"

namespace burnrate::http {
namespace {

Request With(std::string name, std::string value) {
  Request r;
  r.query[std::move(name)] = std::move(value);
  return r;
}

TEST(QueryParams, AbsentOrEmptyGivesTheFallback) {
  Request none;
  EXPECT_EQ(*QueryInt(none, "n", 7), 7);
  EXPECT_EQ(*QueryIntIn(none, "n", 7, 1, 10), 7);
  EXPECT_EQ(*QueryTime(none, "t", 42), 42);
  EXPECT_EQ(*QueryRfc3339(none, "t", 42), 42);
  EXPECT_EQ(*QueryInt(With("n", ""), "n", 7), 7);
}

TEST(QueryParams, IntegersAndTheirErrorsNameTheParameter) {
  EXPECT_EQ(*QueryInt(With("before_id", "-12"), "before_id", 0), -12);
  auto bad = QueryInt(With("before_id", "12x"), "before_id", 0);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(bad.status().field(), "before_id");
  EXPECT_EQ(bad.status().message(), "before_id: not an integer");
  EXPECT_FALSE(QueryInt(With("n", " 5"), "n", 0).ok());  // strict

  EXPECT_EQ(*QueryIntIn(With("limit", "10000"), "limit", 100, 1, 10000), 10000);
  EXPECT_EQ(*QueryIntIn(With("limit", " +5"), "limit", 100, 1, 10000), 5);  // as strtoll
  for (const char* v : {"0", "10001", "5x", "+-5", "99999999999999999999", " "}) {
    auto r = QueryIntIn(With("limit", v), "limit", 100, 1, 10000);
    ASSERT_FALSE(r.ok()) << v;
    EXPECT_EQ(r.status().field(), "limit") << v;
    EXPECT_EQ(r.status().message(), "limit must be an integer in [1, 10000]") << v;
  }
}

TEST(QueryParams, TimesAreRfc3339OrEpochMilliseconds) {
  EXPECT_EQ(*QueryTime(With("from", "1970-01-01T00:00:01Z"), "from", 0), 1000);
  EXPECT_EQ(*QueryTime(With("from", "1500"), "from", 0), 1500);
  auto bad = QueryTime(With("from", "yesterday"), "from", 0);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field(), "from");
  EXPECT_EQ(bad.status().message(), "from must be RFC 3339 or epoch milliseconds");
  auto bad_t = QueryTime(With("to", "2026-13-01T00:00:00Z"), "to", 0);
  ASSERT_FALSE(bad_t.ok());
  EXPECT_EQ(bad_t.status().field(), "to");

  EXPECT_EQ(*QueryRfc3339(With("from", "1970-01-01T00:00:01Z"), "from", 0), 1000);
  auto ms = QueryRfc3339(With("from", "1500"), "from", 0);  // RFC 3339 only
  ASSERT_FALSE(ms.ok());
  EXPECT_EQ(ms.status().field(), "from");
  EXPECT_EQ(ms.status().message().rfind("from: ", 0), 0u) << ms.status().message();
}

TEST(QueryParams, ErrorResponseAnswersTheStatusField) {
  Response r = ErrorResponse(Status::InvalidArgument("limit: want 1..10000").WithField("limit"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, R"({"error":"limit: want 1..10000","field":"limit"})");
  // An explicit field wins; none at all gives no "field".
  EXPECT_EQ(ErrorResponse(Status::InvalidArgument("x").WithField("a"), "b").body,
            R"({"error":"x","field":"b"})");
  EXPECT_EQ(ErrorResponse(Status::NotFound("gone")).body, R"({"error":"gone"})");
}

}  // namespace
}  // namespace burnrate::http
