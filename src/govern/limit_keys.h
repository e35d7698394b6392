// LimitKey: the one scheme for naming governance counters in a LimitStore.
//
// Every counter the governor touches is named here and nowhere else. A key
// is "<kind>|<part>[|<part>]"; each kind has its own short prefix, so keys
// of different kinds never collide, and the Redis store (redis_limit_store)
// keys its hashes by the same strings, so nodes sharing a Redis agree.
// Changing a prefix orphans the counters stored under the old one.
#pragma once

#include <string>

namespace burnrate::govern::limit_key {

// Budget `policy` spent by one subject value ("core" for team:core).
inline std::string Budget(const std::string& policy, const std::string& subject) {
  return "b|" + policy + "|" + subject;
}
// Rate-limit `policy`'s token buckets for one subject: requests, tokens.
inline std::string Requests(const std::string& policy, const std::string& subject) {
  return "rq|" + policy + "|" + subject;
}
inline std::string Tokens(const std::string& policy, const std::string& subject) {
  return "rt|" + policy + "|" + subject;
}
// Rate-limit `policy`'s concurrency slots for one subject.
inline std::string Concurrent(const std::string& policy, const std::string& subject) {
  return "c|" + policy + "|" + subject;
}
// Unsettled reservations held by a caller ("user:ada" or "key:k1").
inline std::string Unsettled(const std::string& caller) { return "ur|" + caller; }
// The request bucket of a user throttled by detection.
inline std::string Throttle(const std::string& user) { return "thr|" + user; }
// Quota counters: the organisation's total, one project's spend, and the
// project's recent pace (its demand).
inline std::string QuotaOrg(const std::string& org) { return "qo|" + org; }
inline std::string QuotaProject(const std::string& org, const std::string& project) {
  return "qp|" + org + "|" + project;
}
inline std::string QuotaDemand(const std::string& org, const std::string& project) {
  return "qd|" + org + "|" + project;
}

}  // namespace burnrate::govern::limit_key
