// Test helpers for the governance layer (tests only).
#pragma once

#include <gtest/gtest.h>
#include <toml++/toml.h>

#include <memory>
#include <string>

#include "common/time_util.h"
#include "govern/govern.h"

namespace burnrate::govern::testing {

inline TimeMs At(const char* rfc3339) {
  auto t = ParseRfc3339(rfc3339);
  EXPECT_TRUE(t.ok()) << rfc3339;
  return t.ok() ? *t : 0;
}

// A Governor over an in-memory audit log, configured from TOML text.
struct Fixture {
  explicit Fixture(const std::string& toml_text, TimeMs now = At("2026-03-10T12:00:00Z"),
                   Alerter* alerter = nullptr)
      : clock(now), audit(nullptr, clock), gov(clock, audit, alerter) {
    toml::table root = toml::parse(toml_text);
    Status s = gov.Configure(root);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  CheckResult Check(const std::string& user, int64_t tokens, const std::string& model = "m",
                    const std::string& team = "", const std::string& project = "") {
    CheckRequest r;
    r.user = user, r.estimated_tokens = tokens, r.model = model, r.team = team, r.project = project;
    auto res = gov.Check(r);
    EXPECT_TRUE(res.ok()) << res.status().ToString();
    return res.ok() ? *res : CheckResult{};
  }
  void Settle(const std::string& id, int64_t tokens) {
    SettleRequest s;
    s.reservation_id = id;
    s.tokens.output = tokens;
    Status st = gov.Settle(s);
    EXPECT_TRUE(st.ok()) << st.ToString();
  }
  // Check and settle at once; true when allowed.
  bool Use(const std::string& user, int64_t tokens, const std::string& team = "") {
    CheckResult r = Check(user, tokens, "m", team);
    if (r.decision != Decision::kAllow) return false;
    Settle(r.reservation_id, tokens);
    return true;
  }
  FakeClock clock;
  AuditLog audit;
  Governor gov;
};

}  // namespace burnrate::govern::testing
