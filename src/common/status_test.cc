// Contract tests for common/status.h: Status, Result<T> and the macros.
#include "common/status.h"

#include <gtest/gtest.h>

#include <memory>

namespace burnrate {
namespace {

Status Fails() { return Status::NotFound("no such thing"); }
Status Passes() { return Status::OK(); }

Status UsesReturnIfError(bool fail, int* reached) {
  BR_RETURN_IF_ERROR(fail ? Fails() : Passes());
  ++*reached;
  return Status::OK();
}

Result<std::unique_ptr<int>> MakeInt(bool fail) {
  if (fail) return Status::InvalidArgument("n must be positive");
  return std::make_unique<int>(7);
}

Result<int> UsesAssignOrReturn(bool fail) {
  BR_ASSIGN_OR_RETURN(auto p, MakeInt(fail));
  return *p + 1;
}

TEST(Status, OkAndErrors) {
  EXPECT_TRUE(Status().ok());
  EXPECT_TRUE(Status::OK().ok());
  Status s = Status::InvalidArgument("tokens must not be negative");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "tokens must not be negative");
  EXPECT_NE(s.ToString().find("tokens must not be negative"), std::string::npos);
  EXPECT_EQ(Status::Unavailable("x").code(), Status::Code::kUnavailable);
  EXPECT_EQ(Status::ResourceExhausted("x").code(), Status::Code::kResourceExhausted);
  EXPECT_EQ(Status::TooLarge("x").code(), Status::Code::kTooLarge);
}

TEST(Result, ValueOrStatus) {
  Result<int> r = 5;
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 5);
  EXPECT_TRUE(r.status().ok());
  Result<int> e = Status::IOError("disk full");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), Status::Code::kIOError);
}

TEST(Macros, PropagateErrors) {
  int reached = 0;
  EXPECT_TRUE(UsesReturnIfError(false, &reached).ok());
  EXPECT_EQ(reached, 1);
  EXPECT_EQ(UsesReturnIfError(true, &reached).code(), Status::Code::kNotFound);
  EXPECT_EQ(reached, 1);
  auto ok = UsesAssignOrReturn(false);  // move-only values work
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 8);
  auto r = UsesAssignOrReturn(true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "n must be positive");
}

TEST(Status, WithFieldNamesTheBadInputAndKeepsCodeAndMessage) {
  Status s = Status::InvalidArgument("limit: want 1..10000").WithField("limit");
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "limit: want 1..10000");
  EXPECT_EQ(s.field(), "limit");
  EXPECT_EQ(Status::NotFound("x").field(), "");
  EXPECT_EQ(Status::OK().WithField("limit").field(), "");  // OK stays plain OK
  const Status base = Status::InvalidArgument("bad");
  EXPECT_EQ(base.WithField("a").field(), "a");
  EXPECT_EQ(base.field(), "");  // the copy was named, not the original
  Result<int> r = WithField(Result<int>(Status::InvalidArgument("no")), "n");
  EXPECT_EQ(r.status().field(), "n");
  EXPECT_EQ(*WithField(Result<int>(5), "n"), 5);
}

}  // namespace
}  // namespace burnrate
