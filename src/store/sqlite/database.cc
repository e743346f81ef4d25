#include "store/sqlite/database.h"

#include <fmt/format.h>

namespace vigil::store::sqlite {

Error SqliteError(sqlite3* db, int rc, std::string_view what) {
  const char* detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  std::string message = fmt::format("{}: {}", what, detail);
  switch (rc & 0xff) {
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      message += " (the file is not a vigil database, or it is damaged)";
      break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      message += " (another process holds the database lock longer than the busy timeout)";
      break;
    default:
      break;
  }
  return MakeError(ErrorCode::kIo, std::move(message));
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

void Statement::Bind(int index, std::int64_t value) { sqlite3_bind_int64(stmt_, index, value); }

void Statement::Bind(int index, std::string_view text) {
  sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

void Statement::BindBlob(int index, std::span<const std::uint8_t> bytes) {
  sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
}

void Statement::BindNull(int index) { sqlite3_bind_null(stmt_, index); }

Result<bool> Statement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteError(db_, rc, fmt::format("running '{}'", sql().substr(0, sql().find('\n'))));
}

Status Statement::Run() {
  for (;;) {
    VIGIL_TRY(bool row, Step());
    if (!row) return Ok();
  }
}

std::int64_t Statement::ColumnInt(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Statement::ColumnText(int column) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (text == nullptr) return {};
  return std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

bool Statement::ColumnIsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::string_view Statement::sql() const {
  const char* text = sqlite3_sql(stmt_);
  return text == nullptr ? std::string_view() : std::string_view(text);
}

Result<std::unique_ptr<Database>> Database::Open(const std::string& path, int busy_timeout_ms) {
  sqlite3* raw = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  // sqlite3_open_v2 allocates a handle even when it fails; the unique_ptr closes it either way.
  std::unique_ptr<Database> db(new Database(raw, path));
  if (rc != SQLITE_OK) return SqliteError(raw, rc, fmt::format("opening {}", path));
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, busy_timeout_ms);
  return db;
}

Database::~Database() {
  statements_.clear();  // finalise before closing
  sqlite3_close_v2(db_);
}

Status Database::Exec(std::string_view sql) {
  const std::string text(sql);
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (message != nullptr) sqlite3_free(message);
  if (rc != SQLITE_OK) {
    return SqliteError(db_, rc,
                       fmt::format("{}: running '{}'", path_, sql.substr(0, sql.find('\n'))));
  }
  return Ok();
}

Result<StatementUse> Database::Prepare(std::string_view sql) {
  std::string key(sql);
  auto it = statements_.find(key);
  if (it == statements_.end()) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, key.data(), static_cast<int>(key.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt);
      return SqliteError(db_, rc,
                         fmt::format("{}: preparing '{}'", path_, sql.substr(0, sql.find('\n'))));
    }
    it = statements_.emplace(std::move(key), std::make_unique<Statement>(db_, stmt)).first;
  }
  return StatementUse(it->second.get());
}

std::int64_t Database::Changes() const { return sqlite3_changes64(db_); }

std::int64_t Database::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }

Result<Transaction> Transaction::Begin(Database& db) {
  VIGIL_TRY_STATUS(db.Exec("BEGIN IMMEDIATE"));
  return Transaction(&db);
}

Transaction::~Transaction() {
  if (db_ != nullptr) (void)db_->Exec("ROLLBACK");
}

Status Transaction::Commit() {
  Database* db = db_;
  db_ = nullptr;
  Status s = db->Exec("COMMIT");
  if (!s) (void)db->Exec("ROLLBACK");  // a failed COMMIT (e.g. busy) leaves the transaction open
  return s;
}

}  // namespace vigil::store::sqlite
