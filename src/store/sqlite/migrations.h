// Schema migrations for the SQLite finding store. Each migration is one step with a version
// number; the versions applied are rows of `schema_migrations`. Opening a store applies, in one
// transaction, every built-in migration newer than what the file has; a file whose schema is
// newer than this binary knows is refused rather than misread.
//
// Rules for adding a migration: append (never edit or reorder a released one), use a version
// higher than the ones before (branches reserve numbers, so a list may have gaps while they are
// apart; every listed version a store has not applied is applied, in order), and keep each step valid SQL for SQLite 3.35 (Debian 12 ships 3.40).
#ifndef VIGIL_STORE_SQLITE_MIGRATIONS_H_
#define VIGIL_STORE_SQLITE_MIGRATIONS_H_

#include <cstdint>
#include <span>
#include <string_view>

#include "base/result.h"
#include "base/time.h"
#include "store/sqlite/database.h"

namespace vigil::store::sqlite {

struct Migration {
  int version;            // increasing; gaps allowed
  std::string_view name;  // short description, kept in schema_migrations
  std::string_view sql;   // one or more statements
};

// "VGIL" in PRAGMA application_id marks a vigil store, so a foreign SQLite file is refused.
inline constexpr std::int32_t kApplicationId = 0x5647494C;

// The migrations this build knows, in order.
std::span<const Migration> BuiltinMigrations();

// Brings `db` up to the last of `migrations`. An up-to-date store is only read (opening never
// waits for another process's write); otherwise every pending step runs in one IMMEDIATE
// transaction, after checking again under the lock (safe when several processes open the same
// file at once). Returns the schema version afterwards. Errors:
// kUnsupported when the database is newer than `migrations` knows; kConfig when it is a SQLite
// file that is not a vigil store; kIo when SQLite fails (including "file is not a database").
Result<int> ApplyMigrations(Database& db, std::span<const Migration> migrations, UnixNanos now);

// The highest applied migration version; 0 for an empty database.
Result<int> SchemaVersion(Database& db);

}  // namespace vigil::store::sqlite

#endif  // VIGIL_STORE_SQLITE_MIGRATIONS_H_
