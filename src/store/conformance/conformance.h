// The storage conformance suites: what every implementation of a storage
// interface (store.h, govern/govern_stores.h, detect::FlagStore,
// otlp::StateStore, badges::BadgeStore) must do, as parameterised gtest
// suites over a Backend that opens one. The SQLite implementations run
// them in src/store/sqlite/sqlite_stores_test.cc; a new implementation
// (PostgreSQL) instantiates the same suites with its own Backend.
//
// Each suite header defines its TEST_Ps: include it in exactly one test
// source of a binary, then INSTANTIATE_TEST_SUITE_P(Name, <Suite>,
// testing::Values(backend), BackendName<...>).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "common/status.h"

namespace burnrate::store::conformance {

// How to open an implementation of T. `open(location)` opens the database
// at `location`, a fresh empty directory per test (a file backend keeps
// its files there; a server backend derives a database or schema name from
// it): the first call sees an empty database, later calls the same data,
// as after a restart. A backend that is not persistent (in-memory) keeps
// the first instance across Reopen(); suites skip what needs persistence.
// `unavailable` (optional) says why the backend cannot run here (no
// PostgreSQL installed): the suite is then skipped with that message.
template <class T>
struct Backend {
  std::string name;
  bool persistent = true;
  std::function<Result<std::unique_ptr<T>>(const std::string& location)> open;
  std::function<std::string()> unavailable = {};
  // Several nodes share this database, each with its own connection, so
  // the store itself keeps an event id once (SQLite has one node, whose
  // ingest layer de-duplicates in memory).
  bool shared = false;
};

// Test names and failure messages show the backend's name, not its bytes.
template <class T>
void PrintTo(const Backend<T>& b, std::ostream* os) {
  *os << b.name;
}

template <class T>
std::string BackendName(const testing::TestParamInfo<Backend<T>>& info) {
  return info.param.name;
}

template <class T>
class ConformanceTest : public testing::TestWithParam<Backend<T>> {
 protected:
  void SetUp() override {
    if (this->GetParam().unavailable) {
      if (std::string why = this->GetParam().unavailable(); !why.empty()) GTEST_SKIP() << why;
    }
    std::string name = testing::UnitTest::GetInstance()->current_test_info()->test_suite_name() +
                       std::string("_") +
                       testing::UnitTest::GetInstance()->current_test_info()->name();
    std::replace(name.begin(), name.end(), '/', '_');
    dir_ = std::filesystem::path(testing::TempDir()) /
           ("conformance_" + std::to_string(getpid()) + "_" + name);
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  // Opens the same database again (a restart); an in-memory backend keeps
  // its instance.
  void Reopen() {
    if (store_ && !this->GetParam().persistent) return;
    store_.reset();
    auto s = this->GetParam().open(dir_.string());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
  }
  bool persistent() const { return this->GetParam().persistent; }
  // Another connection to the same database (another node), for backends
  // that are shared.
  std::unique_ptr<T> OpenAnother() {
    auto s = this->GetParam().open(dir_.string());
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }
  T& s() { return *store_; }

  std::filesystem::path dir_;
  std::unique_ptr<T> store_;
};

}  // namespace burnrate::store::conformance
