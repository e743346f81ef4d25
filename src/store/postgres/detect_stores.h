// Learned baselines (detect/baseline.h) and attack-sequence windows (detect/sequence.h) in the
// PostgreSQL store — the tables of migrations 6 and 8, the same rows as their SQLite
// counterparts (store/sqlite/baselines.h, sequence_windows.h). SaveSequenceChanges is one
// transaction; upserts are INSERT … ON CONFLICT, so several workers saving the same cluster never
// fail on a duplicate key (the last save of a row wins, as with SQLite's INSERT OR REPLACE).
//
// Not thread-safe: one object (one connection) per thread.
#ifndef VIGIL_STORE_POSTGRES_DETECT_STORES_H_
#define VIGIL_STORE_POSTGRES_DETECT_STORES_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "detect/baseline.h"
#include "detect/sequence.h"
#include "store/postgres/connection.h"

namespace vigil::store {

class PgBaselineStore final : public detect::BaselineStore {
 public:
  // Connects and migrates (store/postgres/pg_store.h OpenPgDatabase), with its errors.
  static Result<std::unique_ptr<PgBaselineStore>> Open(std::string_view url);

  Result<std::optional<detect::BaselineState>> LoadBaseline(std::string_view cluster) override;
  Status SaveBaseline(const detect::BaselineState& state, std::int64_t learning_seconds) override;
  Result<std::vector<std::string>> ListBaselines() override;
  Result<bool> ResetBaseline(std::string_view cluster) override;

 private:
  explicit PgBaselineStore(std::unique_ptr<pg::Connection> conn) : conn_(std::move(conn)) {}
  std::unique_ptr<pg::Connection> conn_;
};

class PgSequenceWindowStore final : public detect::SequenceWindowStore {
 public:
  static Result<std::unique_ptr<PgSequenceWindowStore>> Open(std::string_view url);

  Result<std::optional<detect::SequenceWindowState>> LoadSequenceWindow(
      std::string_view cluster) override;
  Status SaveSequenceChanges(const detect::SequenceWindowChanges& changes) override;

 private:
  explicit PgSequenceWindowStore(std::unique_ptr<pg::Connection> conn) : conn_(std::move(conn)) {}
  Status SaveOnce(const detect::SequenceWindowChanges& changes);
  std::unique_ptr<pg::Connection> conn_;
};

// The store for `location`, by its kind (as OpenFindingStore): PostgreSQL for postgres:// and
// postgresql:// URLs, else the SQLite file ("sqlite:PATH" or a path).
Result<std::unique_ptr<detect::BaselineStore>> OpenBaselineStore(std::string_view location);
Result<std::unique_ptr<detect::SequenceWindowStore>> OpenSequenceWindowStore(
    std::string_view location);

}  // namespace vigil::store

#endif  // VIGIL_STORE_POSTGRES_DETECT_STORES_H_
