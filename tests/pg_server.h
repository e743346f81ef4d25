// PgServer: a throwaway PostgreSQL server for tests — initdb into a temporary directory, postgres
// on a free loopback port (and a Unix socket in the same directory), a database per test, and
// the server stopped when the object goes (SIGINT = PostgreSQL's "fast shutdown", then SIGKILL).
//
// PostgreSQL refuses to run as root: when the test runs as root, initdb and postgres are run as
// the `postgres` system user (fork, setgid/setuid in the child, execv of an argument vector) and
// the directory is handed to that user. The server dies with the process that started it
// (PR_SET_PDEATHSIG), so a test killed by a signal leaves no server behind.
//
// Superuser `vigil` with password PgServer::kPassword; TCP connections need the password
// (scram-sha-256), the Unix socket is trusted (the harness creates databases through it).
//
// Used by several test binaries (link vigil_test_pg) and by tests/pg_server_main.cc, which prints
// a URL for shell scripts.
#ifndef VIGIL_TESTS_PG_SERVER_H_
#define VIGIL_TESTS_PG_SERVER_H_

#include <gtest/gtest.h>
#include <sys/types.h>

#include <memory>
#include <string>
#include <string_view>

namespace vigil::tests {

class PgServer {
 public:
  static constexpr std::string_view kUser = "vigil";
  static constexpr std::string_view kPassword = "pg-test-secret-3141";

  // The directory holding initdb and postgres (VIGIL_PG_BINDIR, else the newest
  // /usr/lib/postgresql/<version>/bin), or "" when PostgreSQL is not installed.
  static std::string FindBinDir();

  // Starts a server; nullptr with `*why` set when it cannot (binaries absent, initdb failed, the
  // server did not come up — the message holds the server's log tail).
  static std::unique_ptr<PgServer> Start(std::string* why);

  // One server per test binary, started on first use and stopped at exit (only by the process
  // that started it, so forked children may exit freely). nullptr with `*why` as Start.
  static PgServer* Shared(std::string* why);

  ~PgServer();
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  // Creates a fresh database (any previous one of that name is dropped) and returns its URL
  // postgres://vigil:PASSWORD@127.0.0.1:PORT/NAME. "" with `*why` set on failure.
  std::string CreateDatabase(std::string_view name, std::string* why);
  // The URL of database `name` without the password (for PGPASSFILE tests).
  std::string UrlWithoutPassword(std::string_view name) const;
  // The same with the password.
  std::string Url(std::string_view name) const;

  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  // Fast shutdown (SIGINT: clients are disconnected), SIGKILL after 15 s.
  void Stop();
  // Starts the stopped server again on the same port and data directory (what a restart of
  // the database looks like to its clients). False with `*why` when it does not come up.
  bool Resume(std::string* why);
  // Stop() then Resume().
  bool Restart(std::string* why);

 private:
  enum class LaunchResult { kUp, kExited, kTimedOut };
  PgServer() = default;
  // Runs postgres on port_ over dir_/data and waits until it answers.
  LaunchResult Launch(std::string* why);

  std::string bin_;
  std::string dir_;  // temporary directory: data/, the socket, server.log
  int port_ = 0;
  pid_t pid_ = -1;
  pid_t owner_ = -1;
};

}  // namespace vigil::tests

// Skips the current test when no PostgreSQL server can be had (binaries absent), fails it when
// the binaries are there but the server does not start. Sets `server` (PgServer*).
#define VIGIL_REQUIRE_PG_SERVER(server)                                                   \
  std::string pg_why_;                                                                    \
  ::vigil::tests::PgServer* server = ::vigil::tests::PgServer::Shared(&pg_why_);          \
  if (server == nullptr) {                                                                \
    if (::vigil::tests::PgServer::FindBinDir().empty()) {                                 \
      GTEST_SKIP() << "PostgreSQL is not installed (scripts/install-deps.sh installs it): " \
                   << pg_why_;                                                            \
    }                                                                                     \
    FAIL() << pg_why_;                                                                    \
  }

#endif  // VIGIL_TESTS_PG_SERVER_H_
