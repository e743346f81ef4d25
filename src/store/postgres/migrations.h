// The PostgreSQL store's schema: the same tables, columns and versions as the SQLite store
// (store/sqlite/migrations.cc), in PostgreSQL's dialect. Version N here creates what version N
// creates there, so `schema_migrations` says the same thing in both.
//
// Several workers starting at once: ApplyMigrations runs in one transaction holding a
// transaction-level advisory lock (pg_advisory_xact_lock), so exactly one of them migrates and
// the others, once the lock is theirs, find nothing left to do. DDL is transactional in
// PostgreSQL: a migration that fails leaves nothing half-applied.
#ifndef VIGIL_STORE_POSTGRES_MIGRATIONS_H_
#define VIGIL_STORE_POSTGRES_MIGRATIONS_H_

#include <cstdint>
#include <span>

#include "base/result.h"
#include "base/time.h"
#include "store/postgres/connection.h"
#include "store/sqlite/migrations.h"

namespace vigil::store::pg {

using sqlite::Migration;

// The advisory-lock key the migrations hold ("VGIL" and 1).
inline constexpr std::int64_t kMigrationLockKey = 0x5647494C00000001;

std::span<const Migration> BuiltinMigrations();

// The highest applied version; 0 for a database without schema_migrations.
Result<int> SchemaVersion(Connection& conn);

// Applies the migrations not yet recorded; returns the version after. kConfig when the database
// has tables but no schema_migrations (not a vigil store); kUnsupported when its schema is newer
// than `migrations`.
Result<int> ApplyMigrations(Connection& conn, std::span<const Migration> migrations,
                            UnixNanos now);

}  // namespace vigil::store::pg

#endif  // VIGIL_STORE_POSTGRES_MIGRATIONS_H_
