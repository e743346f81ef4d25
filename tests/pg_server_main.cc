// vigil_pg_server: starts a throwaway PostgreSQL server (tests/pg_server.h), creates database
// `vigil` (or argv[1]), prints its URL on one line and keeps the server until stdin closes or a
// SIGINT/SIGTERM arrives. For shell tests:
//   coproc PG { vigil_pg_server; }; read -r url <&"${PG[0]}"; vigil scan --db "$url" ...
#include <signal.h>
#include <unistd.h>

#include <iostream>
#include <thread>

#include "pg_server.h"

int main(int argc, char** argv) {
  std::string why;
  auto server = vigil::tests::PgServer::Start(&why);
  if (server == nullptr) {
    std::cerr << "vigil_pg_server: " << why << "\n";
    return vigil::tests::PgServer::FindBinDir().empty() ? 77 : 1;  // 77: skip
  }
  const std::string url = server->CreateDatabase(argc > 1 ? argv[1] : "vigil", &why);
  if (url.empty()) {
    std::cerr << "vigil_pg_server: " << why << "\n";
    return 1;
  }
  std::cout << url << std::endl;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  // Wait for stdin to close (the script ended) or a signal, whichever comes first.
  std::thread([] {
    char c;
    while (read(0, &c, 1) > 0) {
    }
    kill(getpid(), SIGTERM);
  }).detach();
  int sig = 0;
  sigwait(&set, &sig);
  server->Stop();
  return 0;
}
