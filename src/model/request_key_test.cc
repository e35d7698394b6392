#include "model/request_key.h"

#include <gtest/gtest.h>

namespace burnrate::model {
namespace {

TEST(RequestKey, CodexKeyDependsOnThreadAndEveryCount) {
  CodexUsage u{1000, 200, 0, 50, 10};
  RequestKey k = CodexRequestKey("thread-1", u);
  EXPECT_EQ(k, CodexRequestKey("thread-1", u));
  EXPECT_NE(k, CodexRequestKey("thread-2", u));
  for (int field = 0; field < 5; ++field) {
    CodexUsage v = u;
    int64_t* f[] = {&v.input, &v.cached, &v.cache_write, &v.output, &v.reasoning};
    *f[field] += 1;
    EXPECT_NE(k, CodexRequestKey("thread-1", v)) << field;
  }
  std::string id = CodexEventId(k);
  EXPECT_EQ(id.size(), 3u + 32u);
  EXPECT_EQ(id.rfind("cx-", 0), 0u);
}

}  // namespace
}  // namespace burnrate::model
