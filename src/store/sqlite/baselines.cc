#include "store/sqlite/baselines.h"

#include <fmt/format.h>

#include "base/time.h"

namespace vigil::store {

Result<std::unique_ptr<SqliteBaselineStore>> SqliteBaselineStore::Open(
    const std::string& path, const SqliteOptions& options) {
  VIGIL_TRY(auto db, OpenStoreDatabase(path, options));
  return std::unique_ptr<SqliteBaselineStore>(new SqliteBaselineStore(std::move(db)));
}

Result<std::optional<detect::BaselineState>> SqliteBaselineStore::LoadBaseline(
    std::string_view cluster) {
  VIGIL_TRY(auto st, db_->Prepare("SELECT state FROM baselines WHERE cluster = ?"));
  st->Bind(1, cluster);
  VIGIL_TRY(bool row, st->Step());
  if (!row) return std::optional<detect::BaselineState>();
  auto state = detect::BaselineFromJson(st->ColumnText(0));
  if (!state) {
    return MakeError(ErrorCode::kParse, fmt::format("stored baseline of cluster '{}': {}", cluster,
                                                    state.error().message));
  }
  return std::optional<detect::BaselineState>(std::move(*state));
}

Status SqliteBaselineStore::SaveBaseline(const detect::BaselineState& state,
                                         std::int64_t learning_seconds) {
  VIGIL_TRY(auto st, db_->Prepare("INSERT OR REPLACE INTO baselines "
                                  "(cluster, state, learning_seconds, updated_at) "
                                  "VALUES (?, ?, ?, ?)"));
  st->Bind(1, state.cluster);
  st->Bind(2, detect::BaselineToJson(state, learning_seconds));
  st->Bind(3, learning_seconds);
  st->Bind(4, std::int64_t{NowNanos()});
  return st->Run();
}

Result<std::vector<std::string>> SqliteBaselineStore::ListBaselines() {
  VIGIL_TRY(auto st, db_->Prepare("SELECT cluster FROM baselines ORDER BY cluster"));
  std::vector<std::string> out;
  while (true) {
    VIGIL_TRY(bool row, st->Step());
    if (!row) break;
    out.push_back(st->ColumnText(0));
  }
  return out;
}

Result<bool> SqliteBaselineStore::ResetBaseline(std::string_view cluster) {
  VIGIL_TRY(auto st, db_->Prepare("DELETE FROM baselines WHERE cluster = ?"));
  st->Bind(1, cluster);
  VIGIL_TRY_STATUS(st->Run());
  return db_->Changes() > 0;
}

}  // namespace vigil::store
