// SqliteFlagStore: the review queue in the burnrate SQLite database file.
//
// Opens its own connection (WAL, busy timeout) on the database file the
// store and governance use, with its own table `detect_flags` (one row per
// user-day flag, reasons as a JSON array), so confirm/dismiss decisions and
// their notes survive restarts. Put, Retract and Review read a row and
// write it back under the store's mutex; this connection is the only writer
// of the table (one burnrate process per database file), so the review rules
// of FlagStore hold. Each write is one autocommit statement (WAL,
// synchronous=NORMAL: no fsync per write).
//
// Thread-safety: thread-safe (one mutex around the connection).
// Errors: IOError with SQLite's message; Open fails on an unusable file.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "detect/flag_store.h"

struct sqlite3;

namespace burnrate::detect {

class SqliteFlagStore final : public FlagStore {
 public:
  // Creates the table when missing. ":memory:" works for tests.
  static Result<std::unique_ptr<SqliteFlagStore>> Open(const std::string& path);
  ~SqliteFlagStore() override;

  Result<PutOutcome> Put(const Flag& f, Flag* stored = nullptr) override;
  std::optional<Flag> Get(const std::string& id) const override;
  std::optional<Flag> Find(const std::string& user, int64_t day) const override;
  std::vector<Flag> List(int64_t from_day, int64_t to_day) const override;
  Result<Flag> Review(const std::string& id, ReviewState s, std::string note, std::string reviewer,
                      TimeMs at) override;
  Result<std::optional<Flag>> Retract(const std::string& id, double score,
                                      std::vector<Reason> reasons, std::string why,
                                      TimeMs at) override;

 private:
  explicit SqliteFlagStore(sqlite3* db) : db_(db) {}
  Status Exec(const char* sql);
  Result<std::optional<Flag>> Load(const std::string& id) const;  // mu_ held
  Status Save(const Flag& f);                                     // mu_ held

  mutable std::mutex mu_;
  sqlite3* db_;  // guarded by mu_
};

}  // namespace burnrate::detect
