#include "store/finding_store.h"

#include <fmt/format.h>

#include "store/sqlite/sqlite_store.h"

namespace vigil::store {

Result<std::vector<ComplianceChange>> FindingStore::ComplianceHistory(std::string_view id) {
  return MakeError(ErrorCode::kUnsupported,
                   fmt::format("this store keeps no compliance history (finding {})", id));
}

Result<std::unique_ptr<FindingStore>> OpenFindingStore(std::string_view location) {
  if (location.starts_with("postgres://") || location.starts_with("postgresql://")) {
    return MakeError(ErrorCode::kUnsupported,
                     "the PostgreSQL finding store is not available in this build yet; use a "
                     "SQLite path");
  }
  std::string_view path = location;
  if (path.starts_with("sqlite:")) path.remove_prefix(std::string_view("sqlite:").size());
  if (path.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "finding store location is empty");
  }
  VIGIL_TRY(auto store, SqliteFindingStore::Open(std::string(path)));
  return std::unique_ptr<FindingStore>(std::move(store));
}

}  // namespace vigil::store
