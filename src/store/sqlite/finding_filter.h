// The SQL WHERE clause of a FindingQuery, shared by List, Stats and Timeline (internal to the
// SQLite store).
#ifndef VIGIL_STORE_SQLITE_FINDING_FILTER_H_
#define VIGIL_STORE_SQLITE_FINDING_FILTER_H_

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "store/finding_store.h"
#include "store/sqlite/database.h"

namespace vigil::store::sqlite {

struct SqlFilter {
  std::string where;  // "" or " WHERE ..."
  std::vector<std::variant<std::int64_t, std::string>> params;

  // Binds every parameter from `index` on; returns the next free index.
  int Bind(Statement& st, int index = 1) const;
  // Adds one more condition (ANDed).
  void And(std::string condition);
};

SqlFilter BuildFilter(const FindingQuery& q);

// The ORDER BY clause of the query's sort, ties broken by id.
std::string OrderBy(const FindingQuery& q);

}  // namespace vigil::store::sqlite

#endif  // VIGIL_STORE_SQLITE_FINDING_FILTER_H_
