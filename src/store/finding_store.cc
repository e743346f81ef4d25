#include "store/finding_store.h"

#include <fmt/format.h>

#include "store/postgres/pg_store.h"
#include "store/sqlite/sqlite_store.h"

namespace vigil::store {
namespace {

// True when a value of an image output field ("nginx:1.25", "[a, b]", "a,b") holds an image
// starting with `prefix`.
bool HasImageWithPrefix(std::string_view value, std::string_view prefix) {
  size_t i = 0;
  while (i < value.size()) {
    while (i < value.size() && (value[i] == '[' || value[i] == ']' || value[i] == ',' ||
                                value[i] == ' ' || value[i] == '"')) {
      ++i;
    }
    size_t start = i;
    while (i < value.size() && value[i] != ',' && value[i] != ']' && value[i] != ' ' &&
           value[i] != '"') {
      ++i;
    }
    if (i > start && value.substr(start, i - start).starts_with(prefix)) return true;
  }
  return false;
}

}  // namespace

bool SuppressionMatches(const Suppression& s, const findings::Finding& f) {
  if (!s.type.empty()) {
    if (s.type.back() == '*') {
      if (!std::string_view(f.type).starts_with(std::string_view(s.type).substr(0, s.type.size() - 1))) {
        return false;
      }
    } else if (f.type != s.type) {
      return false;
    }
  }
  if (!s.principal.empty() && f.principal.username != s.principal) return false;
  if (!s.ns.empty() && f.resource.ns != s.ns) return false;
  if (!s.image_prefix.empty()) {
    bool found = false;
    for (const auto& [field, value] : f.output_fields) {
      if (field.find("image") != std::string::npos && HasImageWithPrefix(value, s.image_prefix)) {
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

Result<std::vector<ComplianceChange>> FindingStore::ComplianceHistory(std::string_view id) {
  return MakeError(ErrorCode::kUnsupported,
                   fmt::format("this store keeps no compliance history (finding {})", id));
}

std::optional<FindingSort> ParseFindingSort(std::string_view name) {
  static constexpr std::pair<std::string_view, FindingSort> kNames[] = {
      {"last_seen", FindingSort::kLastSeen},   {"first_seen", FindingSort::kFirstSeen},
      {"updated_at", FindingSort::kUpdatedAt}, {"severity", FindingSort::kSeverity},
      {"count", FindingSort::kCount},          {"type", FindingSort::kType},
      {"title", FindingSort::kTitle},          {"cluster", FindingSort::kCluster},
      {"principal", FindingSort::kPrincipal},  {"namespace", FindingSort::kNamespace},
      {"status", FindingSort::kStatus},
  };
  for (const auto& [n, sort] : kNames) {
    if (n == name) return sort;
  }
  return std::nullopt;
}

Result<std::vector<std::string>> FindingStore::SuppressedAmong(std::span<const std::string> ids) {
  std::vector<std::string> out;
  for (const std::string& id : ids) {
    auto f = Get(id);
    if (f.has_value()) {
      if (f->workflow == findings::WorkflowStatus::kSuppressed) out.push_back(id);
    } else if (f.error().code != ErrorCode::kNotFound) {
      return std::move(f).error();
    }
  }
  return out;
}

Result<FindingStats> FindingStore::Stats(const FindingQuery&, std::size_t) {
  return MakeError(ErrorCode::kUnsupported, "this store cannot count findings for an overview");
}

Result<std::vector<TimelineBucket>> FindingStore::Timeline(const FindingQuery&,
                                                           UnixNanos,
                                                           UnixNanos,
                                                           std::int64_t) {
  return MakeError(ErrorCode::kUnsupported, "this store cannot draw a timeline");
}

bool IsPostgresLocation(std::string_view location) { return pg::IsPostgresUrl(location); }

std::string RedactLocation(std::string_view location) { return pg::RedactUrl(location); }

Result<std::unique_ptr<FindingStore>> OpenFindingStore(std::string_view location) {
  if (pg::IsPostgresUrl(location)) {
    VIGIL_TRY(auto store, PgFindingStore::Open(location));
    return std::unique_ptr<FindingStore>(std::move(store));
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
