// SqliteFindingStore's aggregate queries for the console (finding_store.h: Stats, Timeline).
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "store/sqlite/finding_filter.h"
#include "store/sqlite/sqlite_store.h"

namespace vigil::store {
namespace {

using Counts = std::vector<std::pair<std::string, std::uint64_t>>;

// Runs `sql` (selecting a key and a count) with the filter's parameters, then `limit` if > 0.
Result<Counts> KeyCounts(sqlite::Database& db,
                         const std::string& sql,
                         const sqlite::SqlFilter& filter,
                         std::size_t limit) {
  VIGIL_TRY(auto st, db.Prepare(sql));
  int next = filter.Bind(*st);
  if (limit > 0) st->Bind(next, static_cast<std::int64_t>(limit));
  Counts out;
  for (;;) {
    VIGIL_TRY(bool row, st->Step());
    if (!row) break;
    out.emplace_back(st->ColumnText(0), static_cast<std::uint64_t>(st->ColumnInt(1)));
  }
  return out;
}

}  // namespace

Result<FindingStats> SqliteFindingStore::Stats(const FindingQuery& q, std::size_t top) {
  const sqlite::SqlFilter filter = sqlite::BuildFilter(q);
  const std::string& where = filter.where;
  FindingStats stats;
  VIGIL_TRY(Counts severities,
            KeyCounts(*db_,
                      fmt::format("SELECT severity, count(*) FROM findings{} GROUP BY severity "
                                  "ORDER BY severity DESC",
                                  where),
                      filter, 0));
  for (auto& [severity, n] : severities) {
    const int s = std::clamp(std::atoi(severity.c_str()), 0, 4);
    stats.by_severity.emplace_back(
        std::string(findings::SeverityName(static_cast<findings::Severity>(s))), n);
    stats.total += n;
  }
  VIGIL_TRY(stats.by_type,
            KeyCounts(*db_,
                      fmt::format("SELECT type, count(*) AS n FROM findings{} GROUP BY type "
                                  "ORDER BY n DESC, type LIMIT ?",
                                  where),
                      filter, top));
  VIGIL_TRY(stats.by_status,
            KeyCounts(*db_,
                      fmt::format("SELECT workflow, count(*) AS n FROM findings{} GROUP BY "
                                  "workflow ORDER BY n DESC, workflow",
                                  where),
                      filter, 0));
  VIGIL_TRY(stats.by_cluster,
            KeyCounts(*db_,
                      fmt::format("SELECT cluster, count(*) AS n FROM findings{} GROUP BY "
                                  "cluster ORDER BY n DESC, cluster LIMIT ?",
                                  where),
                      filter, top));
  sqlite::SqlFilter with_principal = filter;
  with_principal.And("principal != ''");
  VIGIL_TRY(stats.top_principals,
            KeyCounts(*db_,
                      fmt::format("SELECT principal, count(*) AS n FROM findings{} GROUP BY "
                                  "principal ORDER BY n DESC, principal LIMIT ?",
                                  with_principal.where),
                      with_principal, top));
  // Source IPs live in the JSON document (a finding holds up to a few of them). The filter runs
  // in a subquery: json_each has columns of its own (type, id, value) that would make the
  // filter's unqualified column names ambiguous.
  VIGIL_TRY(stats.top_source_ips,
            KeyCounts(*db_,
                      fmt::format("SELECT ip.value, count(*) AS n FROM (SELECT doc FROM "
                                  "findings{}) AS f, json_each(f.doc, '$.source_ips') AS ip "
                                  "GROUP BY ip.value ORDER BY n DESC, ip.value LIMIT ?",
                                  where),
                      filter, top));
  return stats;
}

Result<std::vector<TimelineBucket>> SqliteFindingStore::Timeline(const FindingQuery& q,
                                                                 UnixNanos from,
                                                                 UnixNanos to,
                                                                 std::int64_t bucket) {
  if (bucket <= 0 || to <= from) {
    return MakeError(ErrorCode::kInvalidArgument, "timeline: needs from < to and a bucket > 0");
  }
  sqlite::SqlFilter filter = sqlite::BuildFilter(q);
  filter.And("first_seen >= ?");
  filter.params.emplace_back(std::int64_t{from});
  filter.And("first_seen < ?");
  filter.params.emplace_back(std::int64_t{to});
  // Buckets start at `from` (first_seen >= from, so the division never sees a negative number).
  VIGIL_TRY(auto st, db_->Prepare(fmt::format(
                         "SELECT ? + ((first_seen - ?) / ?) * ? AS b, severity, count(*) FROM "
                         "findings{} GROUP BY b, severity ORDER BY b",
                         filter.where)));
  st->Bind(1, std::int64_t{from});
  st->Bind(2, std::int64_t{from});
  st->Bind(3, bucket);
  st->Bind(4, bucket);
  filter.Bind(*st, 5);
  std::vector<TimelineBucket> out;
  for (;;) {
    VIGIL_TRY(bool row, st->Step());
    if (!row) break;
    const UnixNanos start = st->ColumnInt(0);
    const auto severity =
        static_cast<std::size_t>(std::clamp<std::int64_t>(st->ColumnInt(1), 0, 4));
    if (out.empty() || out.back().start != start) out.push_back({.start = start});
    out.back().by_severity[severity] += static_cast<std::uint64_t>(st->ColumnInt(2));
  }
  return out;
}

}  // namespace vigil::store
