#include "store/postgres/detect_stores.h"

#include <fmt/format.h>

#include "base/time.h"
#include "store/postgres/pg_store.h"
#include "store/sequence_digest.h"
#include "store/sqlite/baselines.h"
#include "store/sqlite/sequence_windows.h"

namespace vigil::store {
namespace {

using pg::Params;
using pg::Rows;

std::string SqlitePath(std::string_view location) {
  if (location.starts_with("sqlite:")) location.remove_prefix(std::string_view("sqlite:").size());
  return std::string(location);
}

}  // namespace

Result<std::unique_ptr<PgBaselineStore>> PgBaselineStore::Open(std::string_view url) {
  VIGIL_TRY(auto conn, OpenPgDatabase(url));
  return std::unique_ptr<PgBaselineStore>(new PgBaselineStore(std::move(conn)));
}

Result<std::optional<detect::BaselineState>> PgBaselineStore::LoadBaseline(
    std::string_view cluster) {
  VIGIL_TRY(Rows r, conn_->Query("SELECT state FROM baselines WHERE cluster = $1",
                                 Params().Text(cluster)));
  if (r.empty()) return std::optional<detect::BaselineState>();
  auto state = detect::BaselineFromJson(r.Text(0, 0));
  if (!state) {
    return MakeError(ErrorCode::kParse, fmt::format("stored baseline of cluster '{}': {}", cluster,
                                                    state.error().message));
  }
  return std::optional<detect::BaselineState>(std::move(*state));
}

Status PgBaselineStore::SaveBaseline(const detect::BaselineState& state,
                                     std::int64_t learning_seconds) {
  VIGIL_TRY(Rows r, conn_->Query("INSERT INTO baselines (cluster, state, learning_seconds, "
                                 "updated_at) VALUES ($1, $2, $3, $4) ON CONFLICT (cluster) DO "
                                 "UPDATE SET state = excluded.state, learning_seconds = "
                                 "excluded.learning_seconds, updated_at = excluded.updated_at",
                                 Params()
                                     .Text(state.cluster)
                                     .Text(detect::BaselineToJson(state, learning_seconds))
                                     .Int(learning_seconds)
                                     .Int(NowNanos())));
  (void)r;
  return Ok();
}

Result<std::vector<std::string>> PgBaselineStore::ListBaselines() {
  VIGIL_TRY(Rows r, conn_->Query("SELECT cluster FROM baselines ORDER BY cluster"));
  std::vector<std::string> out;
  for (int i = 0; i < r.size(); ++i) out.push_back(r.Text(i, 0));
  return out;
}

Result<bool> PgBaselineStore::ResetBaseline(std::string_view cluster) {
  VIGIL_TRY(Rows r, conn_->Query("DELETE FROM baselines WHERE cluster = $1",
                                 Params().Text(cluster)));
  return r.affected() > 0;
}

Result<std::unique_ptr<PgSequenceWindowStore>> PgSequenceWindowStore::Open(std::string_view url) {
  VIGIL_TRY(auto conn, OpenPgDatabase(url));
  return std::unique_ptr<PgSequenceWindowStore>(new PgSequenceWindowStore(std::move(conn)));
}

Result<std::optional<detect::SequenceWindowState>> PgSequenceWindowStore::LoadSequenceWindow(
    std::string_view cluster) {
  detect::SequenceWindowState state;
  state.cluster = std::string(cluster);
  {
    VIGIL_TRY(Rows r, conn_->Query("SELECT latest FROM sequence_windows WHERE cluster = $1",
                                   Params().Text(cluster)));
    if (r.empty()) return std::optional<detect::SequenceWindowState>();
    state.latest = r.Int(0, 0);
  }
  {
    VIGIL_TRY(Rows r, conn_->Query("SELECT key, doc FROM sequence_signals WHERE cluster = $1",
                                   Params().Text(cluster)));
    for (int i = 0; i < r.size(); ++i) state.signals.emplace_back(r.Text(i, 0), r.Text(i, 1));
  }
  {
    VIGIL_TRY(Rows r, conn_->Query("SELECT key, digest, time FROM sequence_refs WHERE cluster = "
                                   "$1 ORDER BY key, time, digest",
                                   Params().Text(cluster)));
    for (int i = 0; i < r.size(); ++i) {
      findings::EventRef ref;
      if (!ParseSequenceDigest(r.Text(i, 1), ref)) {
        return MakeError(ErrorCode::kParse,
                         fmt::format("stored attack-sequence window of cluster '{}': an event "
                                     "digest is not 32 hex digits",
                                     cluster));
      }
      ref.time = r.Int(i, 2);
      state.refs.emplace_back(r.Text(i, 0), ref);
    }
  }
  {
    VIGIL_TRY(Rows r, conn_->Query("SELECT principal FROM sequence_readers WHERE cluster = $1",
                                   Params().Text(cluster)));
    for (int i = 0; i < r.size(); ++i) state.secret_readers.push_back(r.Text(i, 0));
  }
  return std::optional<detect::SequenceWindowState>(std::move(state));
}

Status PgSequenceWindowStore::SaveSequenceChanges(const detect::SequenceWindowChanges& c) {
  return pg::RetryTransaction(*conn_, 5, [&] { return SaveOnce(c); });
}

Status PgSequenceWindowStore::SaveOnce(const detect::SequenceWindowChanges& c) {
  VIGIL_TRY(pg::Transaction tx, pg::Transaction::Begin(*conn_));
  auto run = [&](std::string_view sql, const Params& p) -> Status {
    VIGIL_TRY(Rows r, conn_->Query(sql, p));
    (void)r;
    return Ok();
  };
  if (c.readers_reset) {
    VIGIL_TRY_STATUS(run("DELETE FROM sequence_readers WHERE cluster = $1", Params().Text(c.cluster)));
  }
  if (!c.removed.empty()) {
    VIGIL_TRY_STATUS(run("DELETE FROM sequence_signals WHERE cluster = $1 AND key = ANY($2)",
                         Params().Text(c.cluster).TextArray(c.removed)));
    VIGIL_TRY_STATUS(run("DELETE FROM sequence_refs WHERE cluster = $1 AND key = ANY($2)",
                         Params().Text(c.cluster).TextArray(c.removed)));
  }
  if (!c.refs_cleared.empty()) {
    VIGIL_TRY_STATUS(run("DELETE FROM sequence_refs WHERE cluster = $1 AND key = ANY($2)",
                         Params().Text(c.cluster).TextArray(c.refs_cleared)));
  }
  for (const auto& [key, doc] : c.signals) {
    VIGIL_TRY_STATUS(run("INSERT INTO sequence_signals (cluster, key, doc) VALUES ($1, $2, $3) "
                         "ON CONFLICT (cluster, key) DO UPDATE SET doc = excluded.doc",
                         Params().Text(c.cluster).Text(key).Text(doc)));
  }
  if (!c.refs.empty()) {
    // A replayed event is already there: its digest is the same.
    std::vector<std::string> keys, digests;
    std::vector<std::int64_t> times;
    for (const auto& [key, ref] : c.refs) {
      keys.push_back(key);
      digests.push_back(SequenceDigestHex(ref));
      times.push_back(ref.time);
    }
    VIGIL_TRY_STATUS(run("INSERT INTO sequence_refs (cluster, key, digest, time) SELECT $1, k, d, "
                         "t FROM unnest($2::text[], $3::text[], $4::bigint[]) AS u(k, d, t) "
                         "ON CONFLICT DO NOTHING",
                         Params().Text(c.cluster).TextArray(keys).TextArray(digests).IntArray(
                             times)));
  }
  if (!c.readers.empty()) {
    VIGIL_TRY_STATUS(run("INSERT INTO sequence_readers (cluster, principal) SELECT $1, p FROM "
                         "unnest($2::text[]) AS p ON CONFLICT DO NOTHING",
                         Params().Text(c.cluster).TextArray(c.readers)));
  }
  VIGIL_TRY_STATUS(run("INSERT INTO sequence_windows (cluster, latest, updated_at) VALUES ($1, $2, "
                       "$3) ON CONFLICT (cluster) DO UPDATE SET latest = excluded.latest, "
                       "updated_at = excluded.updated_at",
                       Params().Text(c.cluster).Int(c.latest).Int(NowNanos())));
  return tx.Commit();
}

Result<std::unique_ptr<detect::BaselineStore>> OpenBaselineStore(std::string_view location) {
  if (pg::IsPostgresUrl(location)) {
    VIGIL_TRY(auto s, PgBaselineStore::Open(location));
    return std::unique_ptr<detect::BaselineStore>(std::move(s));
  }
  VIGIL_TRY(auto s, SqliteBaselineStore::Open(SqlitePath(location)));
  return std::unique_ptr<detect::BaselineStore>(std::move(s));
}

Result<std::unique_ptr<detect::SequenceWindowStore>> OpenSequenceWindowStore(
    std::string_view location) {
  if (pg::IsPostgresUrl(location)) {
    VIGIL_TRY(auto s, PgSequenceWindowStore::Open(location));
    return std::unique_ptr<detect::SequenceWindowStore>(std::move(s));
  }
  VIGIL_TRY(auto s, SqliteSequenceWindowStore::Open(SqlitePath(location)));
  return std::unique_ptr<detect::SequenceWindowStore>(std::move(s));
}

}  // namespace vigil::store
