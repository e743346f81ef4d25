#include "store/postgres/connection.h"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <cstdlib>

#include "store/postgres/libpq_loader.h"

namespace vigil::store::pg {
namespace {

// Type OIDs (pg_type.h; stable across PostgreSQL versions).
constexpr unsigned int kByteaOid = 17;
constexpr unsigned int kInt8Oid = 20;
constexpr unsigned int kTextOid = 25;
constexpr unsigned int kInt8ArrayOid = 1016;
constexpr unsigned int kTextArrayOid = 1009;

// The first line of `sql`, for messages.
std::string_view FirstLine(std::string_view sql) {
  while (!sql.empty() && (sql.front() == '\n' || sql.front() == ' ')) sql.remove_prefix(1);
  const size_t nl = sql.find('\n');
  std::string_view line = nl == std::string_view::npos ? sql : sql.substr(0, nl);
  return line.size() > 120 ? line.substr(0, 120) : line;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// The loaded libpq. Only for code that a successful Connection::Open precedes (a Connection
// holds a PGconn, a Rows a PGresult only after it), so the table is always there; Open itself
// asks LoadedLibpq and returns its error.
const Libpq& Pq() { return **LoadedLibpq(); }

// The password a URL carries (percent-decoded by libpq), or "". Uses libpq's own parser so that
// it finds the password exactly as libpq will read it; only Open calls it, after libpq loaded.
// (Without libpq there is no connection, and so no libpq message that could echo a password;
// RedactUrl, which needs no libpq, covers the URL in Open's error.)
std::string PasswordOf(std::string_view url) {
  char* err = nullptr;
  PQconninfoOption* options = Pq().PQconninfoParse(std::string(url).c_str(), &err);
  if (err != nullptr) Pq().PQfreemem(err);
  std::string password;
  if (options != nullptr) {
    for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
      if (std::string_view(o->keyword) == "password" && o->val != nullptr) password = o->val;
    }
    Pq().PQconninfoFree(options);
  }
  return password;
}

}  // namespace

bool IsPostgresUrl(std::string_view location) {
  return location.starts_with("postgres://") || location.starts_with("postgresql://");
}

std::string RedactUrl(std::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  const size_t start = scheme + 3;
  // The authority ends at the first '/', '?' or '#'; its userinfo at the last '@' before that.
  size_t end = url.find_first_of("/?#", start);
  if (end == std::string_view::npos) end = url.size();
  const size_t at = url.substr(0, end).rfind('@');
  std::string out(url);
  if (at != std::string_view::npos && at > start) {
    const size_t colon = url.substr(start, at - start).find(':');
    if (colon != std::string_view::npos) {
      out = std::string(url.substr(0, start + colon + 1)) + "***" + std::string(url.substr(at));
    }
  }
  // A password given as a query parameter (?password=...) goes too.
  const size_t q = out.find("password=");
  if (q != std::string::npos) {
    size_t e = out.find('&', q);
    if (e == std::string::npos) e = out.size();
    out.replace(q + 9, e - q - 9, "***");
  }
  return out;
}

Params& Params::Int(std::int64_t v) {
  values_.emplace_back(std::to_string(v));
  types_.push_back(kInt8Oid);
  formats_.push_back(0);
  return *this;
}

Params& Params::Text(std::string_view v) {
  values_.emplace_back(std::string(v));
  types_.push_back(kTextOid);
  formats_.push_back(0);
  return *this;
}

Params& Params::Bytes(std::span<const std::uint8_t> v) {
  values_.emplace_back(std::string(reinterpret_cast<const char*>(v.data()), v.size()));
  types_.push_back(kByteaOid);
  formats_.push_back(1);  // binary: the bytes as they are
  return *this;
}

Params& Params::Null() {
  values_.emplace_back(std::nullopt);
  types_.push_back(0);
  formats_.push_back(0);
  return *this;
}

Params& Params::IntArray(std::span<const std::int64_t> v) {
  std::string text = "{";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) text += ',';
    text += std::to_string(v[i]);
  }
  text += '}';
  values_.emplace_back(std::move(text));
  types_.push_back(kInt8ArrayOid);
  formats_.push_back(0);
  return *this;
}

Params& Params::TextArray(std::span<const std::string> v) {
  // Array literal: every element double-quoted, '"' and '\' escaped with '\'.
  std::string text = "{";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) text += ',';
    text += '"';
    for (char c : v[i]) {
      if (c == '"' || c == '\\') text += '\\';
      text += c;
    }
    text += '"';
  }
  values_.emplace_back(text + "}");
  types_.push_back(kTextArrayOid);
  formats_.push_back(0);
  return *this;
}

Rows::~Rows() {
  if (result_ != nullptr) Pq().PQclear(result_);
}

int Rows::size() const { return result_ == nullptr ? 0 : Pq().PQntuples(result_); }

std::string Rows::Text(int row, int column) const {
  return std::string(Pq().PQgetvalue(result_, row, column),
                     static_cast<size_t>(Pq().PQgetlength(result_, row, column)));
}

std::int64_t Rows::Int(int row, int column) const {
  if (Pq().PQgetisnull(result_, row, column)) return 0;
  return std::strtoll(Pq().PQgetvalue(result_, row, column), nullptr, 10);
}

bool Rows::IsNull(int row, int column) const { return Pq().PQgetisnull(result_, row, column) != 0; }

std::int64_t Rows::affected() const {
  const char* n = result_ == nullptr ? "" : Pq().PQcmdTuples(result_);
  return *n == '\0' ? 0 : std::strtoll(n, nullptr, 10);
}

Result<std::unique_ptr<Connection>> Connection::Open(std::string_view url) {
  const std::string redacted = RedactUrl(url);
  if (!IsPostgresUrl(url)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("'{}' is not a postgres:// or postgresql:// URL", redacted));
  }
  // The first PostgreSQL connection loads libpq; without it, say what to install.
  if (auto lib = LoadedLibpq(); !lib.has_value()) {
    return MakeError(lib.error().code, fmt::format("cannot connect to PostgreSQL at {}: {}",
                                                   redacted, lib.error().message));
  }
  const std::string password = PasswordOf(url);
  const std::string dbname(url);
  // dbname last and expanded: what the URL says wins over these defaults.
  const char* keywords[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {"10", "vigil", dbname.c_str(), nullptr};
  PGconn* conn = Pq().PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (conn == nullptr) {
    return MakeError(ErrorCode::kIo, fmt::format("{}: out of memory connecting", redacted));
  }
  std::unique_ptr<Connection> c(new Connection(conn, redacted, password));
  if (Pq().PQstatus(conn) != CONNECTION_OK) {
    return MakeError(ErrorCode::kIo, fmt::format("cannot connect to PostgreSQL at {}: {}", redacted,
                                                 c->Scrub(Trim(Pq().PQerrorMessage(conn)))));
  }
  // Quiet NOTICEs (e.g. "relation already exists, skipping") instead of libpq printing them.
  Pq().PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
  VIGIL_TRY(Rows r, c->Query("SET client_min_messages = warning"));
  (void)r;
  return c;
}

Connection::~Connection() { Pq().PQfinish(conn_); }

std::string Connection::Scrub(std::string text) const {
  if (password_.size() >= 1) {
    for (size_t p = text.find(password_); p != std::string::npos; p = text.find(password_, p)) {
      text.replace(p, password_.size(), "***");
      p += 3;
    }
  }
  return text;
}

Error Connection::Fail(PGresult* result, std::string_view sql) {
  const char* state =
      result == nullptr ? nullptr : Pq().PQresultErrorField(result, PG_DIAG_SQLSTATE);
  last_sqlstate_ = state == nullptr ? "?" : state;
  // The session ended under the statement (server shut down or restarted, network gone): say so
  // uniformly, as connection_failure.
  if (Pq().PQstatus(conn_) == CONNECTION_BAD &&
      (last_sqlstate_ == "?" || last_sqlstate_ == "57P01" || last_sqlstate_ == "57P02" ||
       last_sqlstate_ == "57P03")) {
    last_sqlstate_ = "08006";
  }
  std::string message = result != nullptr ? Pq().PQresultErrorMessage(result)
                                          : std::string(Pq().PQerrorMessage(conn_));
  if (message.empty()) message = Pq().PQerrorMessage(conn_);
  if (result != nullptr) Pq().PQclear(result);
  return MakeError(ErrorCode::kIo, fmt::format("PostgreSQL {}: {} (SQLSTATE {}, in: {})",
                                               redacted_url_, Scrub(Trim(std::move(message))),
                                               last_sqlstate_, FirstLine(sql)));
}

Status Connection::Reconnect() {
  Pq().PQreset(conn_);
  if (Pq().PQstatus(conn_) != CONNECTION_OK) {
    last_sqlstate_ = "08001";  // unable to establish a connection
    return MakeError(ErrorCode::kIo,
                     fmt::format("PostgreSQL {}: connection lost and not re-established: {}",
                                 redacted_url_, Scrub(Trim(Pq().PQerrorMessage(conn_)))));
  }
  VIGIL_TRY(Rows r, Query("SET client_min_messages = warning"));  // a new session: set it again
  (void)r;
  return Ok();
}

Status Connection::EnsureConnected() {
  // Outside a transaction, read what the server may have sent since the last statement: after a
  // restart (or a DBA's pg_terminate_backend) that is the session's end, and libpq then marks
  // the connection bad — found before a statement is sent, so the statement runs once, on a new
  // session. Inside a transaction a lost session cannot be replaced: its work is gone, and the
  // statement must fail (the transaction rolls back; the caller retries it whole).
  // libpq reads once per call: the server's goodbye (a FATAL message) first, its end of stream
  // on the next read.
  for (int i = 0; i < 2 && Pq().PQstatus(conn_) == CONNECTION_OK &&
                  Pq().PQtransactionStatus(conn_) == PQTRANS_IDLE;
       ++i) {
    if (Pq().PQconsumeInput(conn_) == 0) break;
  }
  if (Pq().PQstatus(conn_) == CONNECTION_OK) return Ok();
  if (in_transaction_) {
    last_sqlstate_ = "08006";
    return MakeError(ErrorCode::kIo,
                     fmt::format("PostgreSQL {}: connection lost inside a transaction: {}",
                                 redacted_url_, Scrub(Trim(Pq().PQerrorMessage(conn_)))));
  }
  return Reconnect();
}

Result<Rows> Connection::Query(std::string_view sql, const Params& params) {
  // The server restarted or the network dropped since the last statement: connect again, so a
  // long-running `vigil serve` recovers (and /readyz turns ready again) without a restart.
  VIGIL_TRY_STATUS(EnsureConnected());
  std::vector<const char*> values;
  std::vector<int> lengths;
  for (const auto& v : params.values_) {
    values.push_back(v ? v->data() : nullptr);
    lengths.push_back(v ? static_cast<int>(v->size()) : 0);
  }
  const std::string text(sql);
  PGresult* r = Pq().PQexecParams(conn_, text.c_str(), params.size(), params.types_.data(),
                                  values.data(), lengths.data(), params.formats_.data(),
                                  /*resultFormat=*/0);
  const ExecStatusType status = r == nullptr ? PGRES_FATAL_ERROR : Pq().PQresultStatus(r);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return Fail(r, sql);
  last_sqlstate_.clear();
  return Rows(r);
}

Status Connection::ExecScript(std::string_view sql) {
  VIGIL_TRY_STATUS(EnsureConnected());
  PGresult* r = Pq().PQexec(conn_, std::string(sql).c_str());
  const ExecStatusType status = r == nullptr ? PGRES_FATAL_ERROR : Pq().PQresultStatus(r);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return Fail(r, sql);
  Pq().PQclear(r);
  last_sqlstate_.clear();
  return Ok();
}

bool Connection::LastFailureRetryable() const {
  // 08006: the session was lost before COMMIT, so the server rolled the transaction back; the
  // next attempt's BEGIN connects again (and fails fast, 08001, while the server is down).
  return last_sqlstate_ == "40001" || last_sqlstate_ == "40P01" || last_sqlstate_ == "08006";
}

bool Connection::ok() const { return Pq().PQstatus(conn_) == CONNECTION_OK; }

Result<Transaction> Transaction::Begin(Connection& conn, std::string_view isolation) {
  const std::string sql =
      isolation.empty() ? "BEGIN" : fmt::format("BEGIN ISOLATION LEVEL {}", isolation);
  VIGIL_TRY(Rows r, conn.Query(sql));
  (void)r;
  conn.in_transaction_ = true;
  return Transaction(&conn);
}

Transaction::~Transaction() {
  if (conn_ == nullptr) return;
  conn_->in_transaction_ = false;
  // A lost session took its transaction with it: nothing to roll back, and a ROLLBACK would
  // only open a new session here.
  if (!conn_->ok()) return;
  // Keep the failure that made us roll back: RetryTransaction looks at it.
  std::string state = conn_->last_sqlstate_;
  auto r = conn_->Query("ROLLBACK");
  (void)r;
  conn_->last_sqlstate_ = std::move(state);
}

Status Transaction::Commit() {
  Connection* conn = conn_;
  conn_ = nullptr;
  auto r = conn->Query("COMMIT");
  conn->in_transaction_ = false;
  if (!r) {
    // Lost while committing: whether the server committed is unknown
    // (transaction_resolution_unknown); never retried blindly.
    if (!conn->ok()) conn->last_sqlstate_ = "08007";
    return r.error();
  }
  return Ok();
}

}  // namespace vigil::store::pg
