// SqliteBaselineStore: learned baselines (detect/baseline.h) in the findings database (table
// baselines, migration 6), one JSON document per cluster, so baselines and findings live and are
// backed up together.
//
// Durability as SqliteFindingStore: WAL, synchronous=FULL by default. Not thread-safe: open one per
// thread.
#ifndef VIGIL_STORE_SQLITE_BASELINES_H_
#define VIGIL_STORE_SQLITE_BASELINES_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "detect/baseline.h"
#include "store/sqlite/database.h"
#include "store/sqlite/sqlite_store.h"

namespace vigil::store {

class SqliteBaselineStore final : public detect::BaselineStore {
 public:
  // Opens (creating and migrating if needed) the store at `path` with OpenStoreDatabase, with the
  // same errors.
  static Result<std::unique_ptr<SqliteBaselineStore>> Open(const std::string& path,
                                                           const SqliteOptions& options = {});

  // kIo when SQLite fails; kParse when the stored document does not parse (names the cluster).
  Result<std::optional<detect::BaselineState>> LoadBaseline(std::string_view cluster) override;
  // Inserts or replaces state.cluster's row. kIo when SQLite fails.
  Status SaveBaseline(const detect::BaselineState& state, std::int64_t learning_seconds) override;
  Result<std::vector<std::string>> ListBaselines() override;
  Result<bool> ResetBaseline(std::string_view cluster) override;

 private:
  explicit SqliteBaselineStore(std::unique_ptr<sqlite::Database> db) : db_(std::move(db)) {}

  std::unique_ptr<sqlite::Database> db_;
};

}  // namespace vigil::store

#endif  // VIGIL_STORE_SQLITE_BASELINES_H_
