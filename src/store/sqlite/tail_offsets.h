// SqliteTailOffsets: the Tailer's checkpoints (ingest/tail.h), kept in the findings database
// (table tail_offsets, migration 4), so offsets and findings live and are backed up together.
//
// Ordering, not atomicity: the Tailer saves a checkpoint only after its callback committed the
// chunk's findings through a FindingStore, in a separate transaction on a separate connection. A
// crash between the two re-reads that chunk at restart; the store's event ledger counts none of
// its events twice (finding_store.h), so findings and counts come out as if read once.
//
// Durability as SqliteFindingStore: WAL, synchronous=FULL by default, so a saved checkpoint is on
// disk when Save() returns. Not thread-safe: use it from the Tailer's thread.
#ifndef VIGIL_STORE_SQLITE_TAIL_OFFSETS_H_
#define VIGIL_STORE_SQLITE_TAIL_OFFSETS_H_

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "findings/finding.h"
#include "ingest/tail.h"
#include "store/sqlite/database.h"
#include "store/sqlite/sqlite_store.h"

namespace vigil::store {

class SqliteTailOffsets final : public ingest::TailCheckpointStore {
 public:
  // Opens (creating and migrating if needed) the store at `path` with OpenStoreDatabase, with the
  // same errors. event_retention_seconds of `options` is not used.
  static Result<std::unique_ptr<SqliteTailOffsets>> Open(const std::string& path,
                                                         const SqliteOptions& options = {});

  // The checkpoint saved for `source`, or nullopt. kIo when SQLite fails.
  Result<std::optional<ingest::TailCheckpoint>> Load(std::string_view source) override;
  // Inserts or replaces the checkpoint of checkpoint.source in its own transaction. kIo when
  // SQLite fails (busy beyond the timeout, disk full).
  Status Save(const ingest::TailCheckpoint& checkpoint) override;
  // Every saved checkpoint, ordered by source (for `vigil` status output and tests).
  Result<std::vector<ingest::TailCheckpoint>> List();
  // Forgets the checkpoint of `source` (the next start reads it as new). OK if there was none.
  Status Forget(std::string_view source);

  // Whether a finding of rule `rule` has already counted any of `events` (by digest). For the
  // restart of a tailing consumer: the engine remembers only in memory that a request already fired
  // a once-per-request rule on an earlier stage, so after a restart the consumer asks the ledger
  // instead (see docs/tailing.md). kIo when SQLite fails.
  Result<bool> RuleCountedAnyEvent(std::string_view rule,
                                   std::span<const findings::EventRef> events);

 private:
  explicit SqliteTailOffsets(std::unique_ptr<sqlite::Database> db) : db_(std::move(db)) {}

  std::unique_ptr<sqlite::Database> db_;
};

}  // namespace vigil::store

#endif  // VIGIL_STORE_SQLITE_TAIL_OFFSETS_H_
