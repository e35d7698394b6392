// The review rules of FlagStore for the in-memory store: the conformance
// suite (store/conformance/flag_store_conformance.h), which the SQLite
// store runs too (store/sqlite/sqlite_stores_test.cc).
#include "detect/flag_store.h"

#include <gtest/gtest.h>

#include "store/conformance/flag_store_conformance.h"

namespace burnrate::store::conformance {
namespace {

INSTANTIATE_TEST_SUITE_P(InMemory, FlagStoreConformance,
                         testing::Values(Backend<detect::FlagStore>{
                             "InMemory", false,
                             [](const std::string&) -> Result<std::unique_ptr<detect::FlagStore>> {
                               return std::unique_ptr<detect::FlagStore>(
                                   new detect::InMemoryFlagStore());
                             }}),
                         BackendName<detect::FlagStore>);

}  // namespace
}  // namespace burnrate::store::conformance
