#include "store/sqlite/sequence_windows.h"

#include <fmt/format.h>

#include "base/time.h"
#include "store/sequence_digest.h"

namespace vigil::store {
namespace {

// Runs `sql` once per key with (cluster, key) bound.
Status ForEachKey(sqlite::Database& db,
                  std::string_view sql,
                  std::string_view cluster,
                  const std::vector<std::string>& keys) {
  if (keys.empty()) return Ok();
  VIGIL_TRY(auto st, db.Prepare(sql));
  for (const std::string& key : keys) {
    st->Reset();
    st->Bind(1, cluster);
    st->Bind(2, key);
    VIGIL_TRY_STATUS(st->Run());
  }
  return Ok();
}

}  // namespace

Result<std::unique_ptr<SqliteSequenceWindowStore>> SqliteSequenceWindowStore::Open(
    const std::string& path, const SqliteOptions& options) {
  VIGIL_TRY(auto db, OpenStoreDatabase(path, options));
  return std::unique_ptr<SqliteSequenceWindowStore>(new SqliteSequenceWindowStore(std::move(db)));
}

Result<std::optional<detect::SequenceWindowState>> SqliteSequenceWindowStore::LoadSequenceWindow(
    std::string_view cluster) {
  detect::SequenceWindowState state;
  state.cluster = std::string(cluster);
  {
    VIGIL_TRY(auto st, db_->Prepare("SELECT latest FROM sequence_windows WHERE cluster = ?"));
    st->Bind(1, cluster);
    VIGIL_TRY(bool row, st->Step());
    if (!row) return std::optional<detect::SequenceWindowState>();
    state.latest = st->ColumnInt(0);
  }
  {
    VIGIL_TRY(auto st, db_->Prepare("SELECT key, doc FROM sequence_signals WHERE cluster = ?"));
    st->Bind(1, cluster);
    for (;;) {
      VIGIL_TRY(bool row, st->Step());
      if (!row) break;
      state.signals.emplace_back(st->ColumnText(0), st->ColumnText(1));
    }
  }
  {
    VIGIL_TRY(auto st, db_->Prepare("SELECT key, digest, time FROM sequence_refs WHERE cluster = ? "
                                    "ORDER BY key, time, digest"));
    st->Bind(1, cluster);
    for (;;) {
      VIGIL_TRY(bool row, st->Step());
      if (!row) break;
      findings::EventRef ref;
      if (!ParseSequenceDigest(st->ColumnText(1), ref)) {
        return MakeError(ErrorCode::kParse,
                         fmt::format("stored attack-sequence window of cluster '{}': an event "
                                     "digest is not 32 hex digits",
                                     cluster));
      }
      ref.time = st->ColumnInt(2);
      state.refs.emplace_back(st->ColumnText(0), ref);
    }
  }
  {
    VIGIL_TRY(auto st,
              db_->Prepare("SELECT principal FROM sequence_readers WHERE cluster = ?"));
    st->Bind(1, cluster);
    for (;;) {
      VIGIL_TRY(bool row, st->Step());
      if (!row) break;
      state.secret_readers.push_back(st->ColumnText(0));
    }
  }
  return std::optional<detect::SequenceWindowState>(std::move(state));
}

Status SqliteSequenceWindowStore::SaveSequenceChanges(const detect::SequenceWindowChanges& c) {
  VIGIL_TRY(sqlite::Transaction tx, sqlite::Transaction::Begin(*db_));
  if (c.readers_reset) {
    VIGIL_TRY(auto st, db_->Prepare("DELETE FROM sequence_readers WHERE cluster = ?"));
    st->Bind(1, c.cluster);
    VIGIL_TRY_STATUS(st->Run());
  }
  VIGIL_TRY_STATUS(ForEachKey(*db_, "DELETE FROM sequence_signals WHERE cluster = ? AND key = ?",
                              c.cluster, c.removed));
  VIGIL_TRY_STATUS(ForEachKey(*db_, "DELETE FROM sequence_refs WHERE cluster = ? AND key = ?",
                              c.cluster, c.removed));
  VIGIL_TRY_STATUS(ForEachKey(*db_, "DELETE FROM sequence_refs WHERE cluster = ? AND key = ?",
                              c.cluster, c.refs_cleared));
  if (!c.signals.empty()) {
    VIGIL_TRY(auto st, db_->Prepare("INSERT OR REPLACE INTO sequence_signals (cluster, key, doc) "
                                    "VALUES (?, ?, ?)"));
    for (const auto& [key, doc] : c.signals) {
      st->Reset();
      st->Bind(1, c.cluster);
      st->Bind(2, key);
      st->Bind(3, doc);
      VIGIL_TRY_STATUS(st->Run());
    }
  }
  if (!c.refs.empty()) {
    // A replayed event is already there: its digest is the same.
    VIGIL_TRY(auto st, db_->Prepare("INSERT OR IGNORE INTO sequence_refs (cluster, key, digest, "
                                    "time) VALUES (?, ?, ?, ?)"));
    for (const auto& [key, ref] : c.refs) {
      st->Reset();
      st->Bind(1, c.cluster);
      st->Bind(2, key);
      st->Bind(3, SequenceDigestHex(ref));
      st->Bind(4, std::int64_t{ref.time});
      VIGIL_TRY_STATUS(st->Run());
    }
  }
  if (!c.readers.empty()) {
    VIGIL_TRY(auto st, db_->Prepare("INSERT OR IGNORE INTO sequence_readers (cluster, principal) "
                                    "VALUES (?, ?)"));
    for (const std::string& reader : c.readers) {
      st->Reset();
      st->Bind(1, c.cluster);
      st->Bind(2, reader);
      VIGIL_TRY_STATUS(st->Run());
    }
  }
  VIGIL_TRY(auto st, db_->Prepare("INSERT OR REPLACE INTO sequence_windows (cluster, latest, "
                                  "updated_at) VALUES (?, ?, ?)"));
  st->Bind(1, c.cluster);
  st->Bind(2, std::int64_t{c.latest});
  st->Bind(3, std::int64_t{NowNanos()});
  VIGIL_TRY_STATUS(st->Run());
  return tx.Commit();
}

}  // namespace vigil::store
