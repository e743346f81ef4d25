// Helpers for store tests: a temporary directory that removes itself, and sample findings
// aggregated the way `vigil scan --db` does (with event tracking).
#ifndef VIGIL_TESTS_STORE_STORE_TEST_UTIL_H_
#define VIGIL_TESTS_STORE_STORE_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "temp_dir.h"
#include "findings/aggregator.h"
#include "findings/sample_observations.h"
#include "store/sqlite/sqlite_store.h"

namespace vigil::store::testing {

using vigil::tests::TempDir;

// Aggregates `observations` with event tracking, flushing every `flush_every` findings (0: once
// at the end), and returns the batches a scan would upsert.
inline std::vector<std::vector<findings::Finding>> ScanBatches(
    const std::vector<findings::Observation>& observations,
    size_t flush_every = 0,
    UnixNanos now = findings::testing::kSampleNow) {
  findings::FindingAggregator agg({.track_events = true, .max_findings = flush_every});
  std::vector<std::vector<findings::Finding>> batches;
  for (const findings::Observation& o : observations) {
    agg.Add(o, now);
    if (agg.ShouldFlush()) batches.push_back(agg.TakeAll());
  }
  if (!agg.empty()) batches.push_back(agg.TakeAll());
  return batches;
}

inline std::vector<findings::Finding> Scan(const std::vector<findings::Observation>& observations,
                                           UnixNanos now = findings::testing::kSampleNow) {
  auto batches = ScanBatches(observations, 0, now);
  return batches.empty() ? std::vector<findings::Finding>{} : batches.front();
}

inline std::unique_ptr<SqliteFindingStore> OpenOrDie(const std::string& path,
                                                     const SqliteOptions& options = {}) {
  auto store = SqliteFindingStore::Open(path, options);
  if (!store) {
    ADD_FAILURE() << store.error().ToString();
    return nullptr;
  }
  return std::move(*store);
}

// Runs SQL on the file through a separate raw connection (to tamper or inspect).
inline void RawExec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  EXPECT_EQ(rc, SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}

inline std::string RawQuery(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string out;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) return out;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(st, 0);
    if (text != nullptr) out = reinterpret_cast<const char*>(text);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

}  // namespace vigil::store::testing

#endif  // VIGIL_TESTS_STORE_STORE_TEST_UTIL_H_
