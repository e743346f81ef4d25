// A thin RAII layer over the SQLite C API: a connection that owns its sqlite3*, cached prepared
// statements that reset themselves when a use ends, and transactions that roll back unless
// committed. Every SQLite failure comes back as a kIo Error naming what was being done.
//
// Not thread-safe: a Database (and its statements) belongs to one thread at a time.
#ifndef VIGIL_STORE_SQLITE_DATABASE_H_
#define VIGIL_STORE_SQLITE_DATABASE_H_

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/result.h"

namespace vigil::store::sqlite {

// A prepared statement, owned. Bind indexes are 1-based, column indexes 0-based.
class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  void Bind(int index, std::int64_t value);
  void Bind(int index, std::string_view text);
  void BindBlob(int index, std::span<const std::uint8_t> bytes);
  void BindNull(int index);

  // Runs one step: true when a row is available, false when done. kIo on failure.
  Result<bool> Step();
  // Runs to completion, ignoring rows.
  Status Run();

  std::int64_t ColumnInt(int column) const;
  std::string ColumnText(int column) const;
  bool ColumnIsNull(int column) const;

  // Resets for the next use and clears bindings.
  void Reset();

  std::string_view sql() const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

// A use of a cached Statement: resets it when the use ends, so a half-stepped statement never
// holds a read snapshot open.
class StatementUse {
 public:
  explicit StatementUse(Statement* statement) : statement_(statement) {}
  ~StatementUse() {
    if (statement_ != nullptr) statement_->Reset();
  }
  StatementUse(StatementUse&& other) noexcept : statement_(other.statement_) {
    other.statement_ = nullptr;
  }
  StatementUse& operator=(StatementUse&&) = delete;
  StatementUse(const StatementUse&) = delete;
  StatementUse& operator=(const StatementUse&) = delete;

  Statement* operator->() const { return statement_; }
  Statement& operator*() const { return *statement_; }

 private:
  Statement* statement_;
};

class Database {
 public:
  // Opens (creating if missing) the database at `path` (":memory:" for a private in-memory one)
  // with extended result codes and the given busy timeout. kIo when SQLite cannot open it.
  static Result<std::unique_ptr<Database>> Open(const std::string& path, int busy_timeout_ms);

  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs one or more statements without results. kIo on failure, naming `sql`'s first line.
  Status Exec(std::string_view sql);

  // A cached prepared statement for `sql` (prepared on first use, reused after). The use resets it
  // when it goes out of scope. kIo if `sql` does not prepare (e.g. the file is not a database).
  Result<StatementUse> Prepare(std::string_view sql);

  // Rows changed by the last INSERT/UPDATE/DELETE.
  std::int64_t Changes() const;
  std::int64_t LastInsertRowId() const;

  sqlite3* handle() const { return db_; }
  const std::string& path() const { return path_; }

 private:
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  sqlite3* db_;
  std::string path_;
  // Declared after db_ so statements are finalised before the connection closes.
  std::unordered_map<std::string, std::unique_ptr<Statement>> statements_;
};

// BEGIN IMMEDIATE … COMMIT; rolls back in the destructor unless committed. IMMEDIATE takes the
// write lock up front, so two writers wait on the busy timeout instead of deadlocking on upgrade.
class Transaction {
 public:
  static Result<Transaction> Begin(Database& db);
  Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  Status Commit();

 private:
  explicit Transaction(Database* db) : db_(db) {}
  Database* db_;
};

// An Error for SQLite result code `rc` on `db` while doing `what`.
Error SqliteError(sqlite3* db, int rc, std::string_view what);

}  // namespace vigil::store::sqlite

#endif  // VIGIL_STORE_SQLITE_DATABASE_H_
