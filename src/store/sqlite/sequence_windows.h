// SqliteSequenceWindowStore: attack-sequence windows (detect/sequence.h) in the findings database
// (tables sequence_*, migration 8), so a restarted `vigil serve` correlates what it saw before
// the restart with what comes after, as one process would.
//
// Durability as SqliteFindingStore: WAL, synchronous=FULL by default. Not thread-safe: open one per
// thread.
#ifndef VIGIL_STORE_SQLITE_SEQUENCE_WINDOWS_H_
#define VIGIL_STORE_SQLITE_SEQUENCE_WINDOWS_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "detect/sequence.h"
#include "store/sqlite/database.h"
#include "store/sqlite/sqlite_store.h"

namespace vigil::store {

class SqliteSequenceWindowStore final : public detect::SequenceWindowStore {
 public:
  // Opens (creating and migrating if needed) the store at `path` with OpenStoreDatabase, with the
  // same errors.
  static Result<std::unique_ptr<SqliteSequenceWindowStore>> Open(const std::string& path,
                                                                 const SqliteOptions& options = {});

  // kIo when SQLite fails; kParse when a stored event digest is not 32 hex digits.
  Result<std::optional<detect::SequenceWindowState>> LoadSequenceWindow(
      std::string_view cluster) override;
  // One transaction. kIo when SQLite fails (nothing of `changes` is then stored).
  Status SaveSequenceChanges(const detect::SequenceWindowChanges& changes) override;

 private:
  explicit SqliteSequenceWindowStore(std::unique_ptr<sqlite::Database> db) : db_(std::move(db)) {}

  std::unique_ptr<sqlite::Database> db_;
};

}  // namespace vigil::store

#endif  // VIGIL_STORE_SQLITE_SEQUENCE_WINDOWS_H_
