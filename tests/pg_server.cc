#include "pg_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <thread>
#include <vector>

namespace vigil::tests {
namespace {

namespace fs = std::filesystem;

// The system user PostgreSQL runs as when we are root.
struct RunAs {
  bool change = false;
  uid_t uid = 0;
  gid_t gid = 0;
};


bool LookUpRunAs(RunAs* out, std::string* why) {
  if (geteuid() != 0) return true;
  struct passwd* pw = getpwnam("postgres");
  if (pw == nullptr) {
    *why = "running as root and there is no 'postgres' user to run PostgreSQL as";
    return false;
  }
  out->change = true;
  out->uid = pw->pw_uid;
  out->gid = pw->pw_gid;
  return true;
}

// Hands `path` (and everything under it) to the user PostgreSQL runs as.
void ChownTree(const fs::path& path, const RunAs& as) {
  if (!as.change) return;
  if (chown(path.c_str(), as.uid, as.gid) != 0) return;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (chown(it->path().c_str(), as.uid, as.gid) != 0) return;
  }
}

// fork + (setgid/setuid) + execv, stdout and stderr appended to `log`. Returns the child's pid.
pid_t Spawn(const std::vector<std::string>& args, const RunAs& as, const std::string& log,
            const std::string& cwd, bool die_with_parent) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid != 0) return pid;
  // Child: only async-signal-safe calls from here on.
  const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd >= 0) {
    dup2(fd, 1);
    dup2(fd, 2);
    close(fd);
  }
  const int null = open("/dev/null", O_RDONLY);
  if (null >= 0) {
    dup2(null, 0);
    close(null);
  }
  if (as.change) {
    if (setgroups(0, nullptr) != 0 || setgid(as.gid) != 0 || setuid(as.uid) != 0) _exit(126);
  }
  if (chdir(cwd.c_str()) != 0) _exit(126);
  // After setuid: a change of credentials clears the parent-death signal.
  if (die_with_parent) {
    prctl(PR_SET_PDEATHSIG, SIGINT);
    if (getppid() != parent) _exit(0);
  }
  execv(argv[0], argv.data());
  _exit(127);
}

int WaitExit(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string Tail(const std::string& path, std::size_t max = 2000) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  return s.size() > max ? s.substr(s.size() - max) : s;
}

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

// A libpq connection through the Unix socket, as the trusted superuser.
std::string SocketConninfo(const std::string& dir, int port, std::string_view db) {
  return "host=" + dir + " port=" + std::to_string(port) + " user=" + std::string(PgServer::kUser) +
         " dbname=" + std::string(db) + " connect_timeout=5";
}

}  // namespace

std::string PgServer::FindBinDir() {
  if (const char* env = getenv("VIGIL_PG_BINDIR"); env != nullptr && *env != '\0') {
    return fs::exists(fs::path(env) / "postgres") ? std::string(env) : std::string();
  }
  std::error_code ec;
  std::string best;
  int best_version = 0;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const int version = atoi(entry.path().filename().c_str());
    const fs::path bin = entry.path() / "bin";
    if (version > best_version && fs::exists(bin / "postgres") && fs::exists(bin / "initdb")) {
      best_version = version;
      best = bin.string();
    }
  }
  return best;
}

std::unique_ptr<PgServer> PgServer::Start(std::string* why) {
  const std::string bin = FindBinDir();
  if (bin.empty()) {
    *why = "no PostgreSQL server binaries (looked in /usr/lib/postgresql/*/bin and VIGIL_PG_BINDIR)";
    return nullptr;
  }
  RunAs as;
  if (!LookUpRunAs(&as, why)) return nullptr;

  std::unique_ptr<PgServer> server(new PgServer());
  server->owner_ = getpid();
  std::string pattern = (fs::temp_directory_path() / "vigil-pg-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    *why = "mkdtemp failed";
    return nullptr;
  }
  server->dir_ = pattern;
  const std::string data = server->dir_ + "/data";
  const std::string pwfile = server->dir_ + "/pwfile";
  const std::string log = server->dir_ + "/server.log";
  {
    std::ofstream(pwfile) << kPassword << "\n";
  }
  ChownTree(server->dir_, as);

  const pid_t initdb = Spawn({bin + "/initdb", "-D", data, "-U", std::string(kUser),
                              "--pwfile=" + pwfile, "--auth-local=trust",
                              "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8",
                              "--no-sync"},
                             as, log, server->dir_, /*die_with_parent=*/false);
  if (initdb < 0 || WaitExit(initdb) != 0) {
    *why = "initdb failed: " + Tail(log);
    return nullptr;
  }
  server->bin_ = bin;
  // A free port may be taken between FreePort() and the server binding it: try a few.
  for (int attempt = 0; attempt < 5; ++attempt) {
    server->port_ = FreePort();
    switch (server->Launch(why)) {
      case LaunchResult::kUp: return server;
      case LaunchResult::kExited: continue;
      case LaunchResult::kTimedOut: return nullptr;  // the destructor stops it
    }
  }
  *why = "PostgreSQL did not start: " + Tail(server->dir_ + "/server.log");
  return nullptr;
}

PgServer::LaunchResult PgServer::Launch(std::string* why) {
  RunAs as;
  if (!LookUpRunAs(&as, why)) return LaunchResult::kExited;
  const std::string log = dir_ + "/server.log";
  pid_ = Spawn({bin_ + "/postgres", "-D", dir_ + "/data", "-p", std::to_string(port_), "-k", dir_,
                "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c",
                "synchronous_commit=off", "-c", "full_page_writes=off", "-c",
                "max_connections=200", "-c", "shared_buffers=32MB"},
               as, log, dir_, /*die_with_parent=*/true);
  const std::string conninfo = SocketConninfo(dir_, port_, "postgres");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (PQping(conninfo.c_str()) == PQPING_OK) return LaunchResult::kUp;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      *why = "PostgreSQL exited at start: " + Tail(log);
      return LaunchResult::kExited;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  *why = "PostgreSQL did not accept connections within 60 s: " + Tail(log);
  return LaunchResult::kTimedOut;
}

bool PgServer::Restart(std::string* why) {
  if (getpid() != owner_) {
    *why = "only the process that started the server may restart it";
    return false;
  }
  Stop();
  return Resume(why);
}

bool PgServer::Resume(std::string* why) {
  if (pid_ > 0) return true;
  // The port was ours a moment ago; should something take it meanwhile, say so.
  for (int attempt = 0; attempt < 20; ++attempt) {
    const LaunchResult r = Launch(why);
    if (r == LaunchResult::kUp) return true;
    if (r == LaunchResult::kTimedOut) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

PgServer* PgServer::Shared(std::string* why) {
  static std::unique_ptr<PgServer> shared;
  static std::string error;
  static bool tried = false;
  if (!tried) {
    tried = true;
    shared = Start(&error);
  }
  if (shared == nullptr) *why = error;
  return shared.get();
}

void PgServer::Stop() {
  if (pid_ > 0 && getpid() == owner_) {
    kill(pid_, SIGINT);  // fast shutdown: disconnects clients (SIGTERM would wait for them)
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    int status = 0;
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  pid_ = -1;
}

PgServer::~PgServer() {
  if (getpid() != owner_) return;  // a forked child: the server is not ours to stop
  Stop();
  if (!dir_.empty() && getenv("VIGIL_PG_KEEP") == nullptr) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

std::string PgServer::Url(std::string_view name) const {
  return "postgres://" + std::string(kUser) + ":" + std::string(kPassword) + "@127.0.0.1:" +
         std::to_string(port_) + "/" + std::string(name);
}

std::string PgServer::UrlWithoutPassword(std::string_view name) const {
  return "postgres://" + std::string(kUser) + "@127.0.0.1:" + std::to_string(port_) + "/" +
         std::string(name);
}

std::string PgServer::CreateDatabase(std::string_view name, std::string* why) {
  for (char c : name) {
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '_')) {
      *why = "database names in tests are [A-Za-z0-9_]";
      return "";
    }
  }
  PGconn* conn = PQconnectdb(SocketConninfo(dir_, port_, "postgres").c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    *why = std::string("cannot connect to the test server: ") + PQerrorMessage(conn);
    PQfinish(conn);
    return "";
  }
  PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
  // Identifiers cannot be parameters; the name is checked above and quoted.
  for (const std::string& sql : {"DROP DATABASE IF EXISTS \"" + std::string(name) + "\" WITH (FORCE)",
                                "CREATE DATABASE \"" + std::string(name) + "\""}) {
    PGresult* r = PQexec(conn, sql.c_str());
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) *why = sql + ": " + PQerrorMessage(conn);
    PQclear(r);
    if (!ok) {
      PQfinish(conn);
      return "";
    }
  }
  PQfinish(conn);
  return Url(name);
}

}  // namespace vigil::tests
