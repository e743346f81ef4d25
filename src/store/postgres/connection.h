// A thin layer over libpq for the PostgreSQL stores: one connection, parameterised queries only
// (PQexecParams: values never become part of the SQL text), transactions that roll back unless
// committed, and errors that never carry the password of the URL.
//
// Passwords: a URL may hold one (postgres://user:secret@host/db), but needs not — libpq reads
// PGPASSWORD, PGPASSFILE or ~/.pgpass. Every message this layer makes names the URL with the
// password replaced by "***" and has any occurrence of the password removed from libpq's text.
//
// Not thread-safe: a Connection belongs to one thread at a time.
#ifndef VIGIL_STORE_POSTGRES_CONNECTION_H_
#define VIGIL_STORE_POSTGRES_CONNECTION_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;

namespace vigil::store::pg {

// True for "postgres://…" and "postgresql://…".
bool IsPostgresUrl(std::string_view location);

// `url` with the password (if any) replaced by "***".
std::string RedactUrl(std::string_view url);

// Query parameters $1, $2, … with their types (so the server never has to guess them).
class Params {
 public:
  Params& Int(std::int64_t v);
  Params& Text(std::string_view v);
  Params& Bytes(std::span<const std::uint8_t> v);
  Params& Null();
  // A bigint[] or text[] parameter (for unnest / = ANY).
  Params& IntArray(std::span<const std::int64_t> v);
  Params& TextArray(std::span<const std::string> v);

  int size() const { return static_cast<int>(values_.size()); }

 private:
  friend class Connection;
  std::vector<std::optional<std::string>> values_;
  std::vector<unsigned int> types_;
  std::vector<int> formats_;
};

// The rows of a query, text format. Owns its PGresult.
class Rows {
 public:
  explicit Rows(PGresult* result) : result_(result) {}
  Rows(Rows&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
  Rows& operator=(Rows&&) = delete;
  Rows(const Rows&) = delete;
  ~Rows();

  int size() const;
  bool empty() const { return size() == 0; }
  std::string Text(int row, int column) const;
  std::int64_t Int(int row, int column) const;  // 0 for NULL
  bool IsNull(int row, int column) const;
  // Rows changed by an INSERT/UPDATE/DELETE.
  std::int64_t affected() const;

 private:
  PGresult* result_;
};

class Connection {
 public:
  // Connects to `url` (postgres:// or postgresql://; libpq's usual environment applies) with a
  // 10 s connect timeout unless the URL sets connect_timeout. kIo when the server cannot be
  // reached or refuses the login; the message names the redacted URL and libpq's reason.
  static Result<std::unique_ptr<Connection>> Open(std::string_view url);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one statement with parameters. kIo on failure, naming what failed. A connection that
  // was lost (server restart, terminated session, dropped network) is re-established first when
  // no transaction is open — found before the statement is sent, so it runs exactly once; inside
  // a transaction the statement fails instead (kIo, SQLSTATE 08006) and the transaction is lost.
  Result<Rows> Query(std::string_view sql, const Params& params = {});
  // Runs a script of statements without parameters (schema migrations; nothing from outside).
  Status ExecScript(std::string_view sql);

  // The SQLSTATE of the last failure ("" when the last statement succeeded).
  const std::string& last_sqlstate() const { return last_sqlstate_; }
  // True when the last failure is worth retrying the transaction for (serialization failure,
  // deadlock, the session lost before COMMIT: SQLSTATE 08006). Not for a session lost during
  // COMMIT (08007: it may have committed) nor for a server that cannot be reached (08001).
  bool LastFailureRetryable() const;
  // True when the connection is still up (after a failure it may not be).
  bool ok() const;

  const std::string& redacted_url() const { return redacted_url_; }

 private:
  Connection(PGconn* conn, std::string redacted, std::string password)
      : conn_(conn), redacted_url_(std::move(redacted)), password_(std::move(password)) {}
  friend class Transaction;
  Error Fail(PGresult* result, std::string_view sql);
  // OK when the session is usable for the next statement (re-established when it was lost and
  // no transaction is open).
  Status EnsureConnected();
  Status Reconnect();
  std::string Scrub(std::string text) const;

  PGconn* conn_;
  std::string redacted_url_;
  std::string password_;  // only to scrub it from messages
  std::string last_sqlstate_;
  bool in_transaction_ = false;  // a Transaction is open on this connection
};

// BEGIN … COMMIT; rolls back in the destructor unless committed.
class Transaction {
 public:
  // `isolation`: "" (READ COMMITTED) or e.g. "SERIALIZABLE".
  static Result<Transaction> Begin(Connection& conn, std::string_view isolation = "");
  Transaction(Transaction&& other) noexcept : conn_(other.conn_) { other.conn_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  Status Commit();

 private:
  explicit Transaction(Connection* conn) : conn_(conn) {}
  Connection* conn_;
};

// Runs `body` (a whole transaction) until it succeeds, fails for a reason other than a
// serialization failure, deadlock or lost session (LastFailureRetryable), or `attempts` are used
// up.
template <typename F>
auto RetryTransaction(Connection& conn, int attempts, F&& body) -> decltype(body()) {
  for (int i = 1;; ++i) {
    auto result = body();
    if (result.has_value() || i >= attempts || !conn.LastFailureRetryable()) return result;
  }
}

}  // namespace vigil::store::pg

#endif  // VIGIL_STORE_POSTGRES_CONNECTION_H_
