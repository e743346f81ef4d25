// vigil_pg_server: starts a throwaway PostgreSQL server (tests/pg_server.h), creates database
// `vigil` (or each database named on the command line), prints one URL per line and keeps the
// server until stdin closes or a SIGINT/SIGTERM arrives. For shell tests:
//   coproc PG { vigil_pg_server; }; read -r url <&"${PG[0]}"; vigil scan --db "$url" ...
#include <signal.h>
#include <unistd.h>

#include <iostream>
#include <thread>
#include <vector>

#include "pg_server.h"

int main(int argc, char** argv) {
  std::string why;
  auto server = vigil::tests::PgServer::Start(&why);
  if (server == nullptr) {
    std::cerr << "vigil_pg_server: " << why << "\n";
    return vigil::tests::PgServer::FindBinDir().empty() ? 77 : 1;  // 77: skip
  }
  std::vector<std::string> names(argv + 1, argv + argc);
  if (names.empty()) names.push_back("vigil");
  for (const std::string& name : names) {
    const std::string url = server->CreateDatabase(name, &why);
    if (url.empty()) {
      std::cerr << "vigil_pg_server: " << why << "\n";
      return 1;
    }
    std::cout << url << "\n";
  }
  std::cout << std::flush;
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
