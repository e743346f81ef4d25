// Test harness: real nats-server processes (Debian's nats-server 2.9) on free loopback ports — one
// node, or a JetStream cluster of several nodes with their store directories in a temporary
// directory — that a test can kill (SIGKILL) and restart with the same ports and store.
//
// NatsServerPath() is empty when nats-server is not installed; tests then GTEST_SKIP with a clear
// message (scripts/install-deps.sh installs it).
#ifndef VIGIL_TESTS_NATS_SERVER_H_
#define VIGIL_TESTS_NATS_SERVER_H_

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "temp_dir.h"

namespace vigil::tests {

inline std::string NatsServerPath() {
  for (const char* p : {"/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"}) {
    if (::access(p, X_OK) == 0) return p;
  }
  return "";
}

// A loopback TCP port that was free a moment ago (bind to 0, read it back, close).
inline int FreeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof(a);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  ::close(fd);
  return port;
}

inline bool PortAccepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  ::close(fd);
  return ok;
}

class NatsServers {
 public:
  // `nodes` == 1: a single JetStream server; more: a cluster named "vigil" with full routes.
  // `extra_args` go to every node's command line (e.g. {"--auth", TOKEN}).
  explicit NatsServers(int nodes, std::vector<std::string> extra_args = {})
      : extra_args_(std::move(extra_args)) {
    binary_ = NatsServerPath();
    for (int i = 0; i < nodes; ++i) {
      Node n;
      n.client_port = FreeLoopbackPort();
      n.cluster_port = nodes > 1 ? FreeLoopbackPort() : 0;
      n.store = dir_.File("node" + std::to_string(i));
      n.log = dir_.File("node" + std::to_string(i) + ".log");
      nodes_.push_back(n);
    }
  }
  ~NatsServers() {
    for (std::size_t i = 0; i < nodes_.size(); ++i) Stop(i, SIGKILL);
  }
  NatsServers(const NatsServers&) = delete;
  NatsServers& operator=(const NatsServers&) = delete;

  bool available() const { return !binary_.empty(); }

  // Starts every node and waits until each accepts connections. A port picked free can be taken
  // by another process (tests run in parallel) before a node binds it, and that node exits: then
  // every node starts again on fresh ports, up to three times.
  bool StartAll() {
    for (int attempt = 0; attempt < 3; ++attempt) {
      for (std::size_t i = 0; i < nodes_.size(); ++i) Start(i);
      bool up = true;
      bool exited = false;
      for (std::size_t i = 0; i < nodes_.size() && up; ++i) {
        up = WaitAccepting(i);
        exited = !up && nodes_[i].pid <= 0;
      }
      if (up) return true;
      for (std::size_t i = 0; i < nodes_.size(); ++i) Stop(i, SIGKILL);
      if (!exited) return false;  // still running but not accepting: not a port clash
      for (Node& n : nodes_) {
        n.client_port = FreeLoopbackPort();
        if (n.cluster_port != 0) n.cluster_port = FreeLoopbackPort();
      }
    }
    return false;
  }

  void Start(std::size_t i) {
    Node& n = nodes_[i];
    std::vector<std::string> argv = {binary_,
                                     "-a", "127.0.0.1",
                                     "-p", std::to_string(n.client_port),
                                     "-n", "vigil-test-" + std::to_string(i),
                                     "-js", "-sd", n.store};
    argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
    if (nodes_.size() > 1) {
      std::string routes;
      for (std::size_t j = 0; j < nodes_.size(); ++j) {
        if (j == i) continue;
        if (!routes.empty()) routes += ",";
        routes += "nats://127.0.0.1:" + std::to_string(nodes_[j].cluster_port);
      }
      argv.insert(argv.end(), {"--cluster_name", "vigil",
                               "--cluster", "nats://127.0.0.1:" + std::to_string(n.cluster_port),
                               "--routes", routes});
    }
    pid_t pid = ::fork();
    if (pid == 0) {
      int fd = ::open(n.log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        ::close(fd);
      }
      std::vector<char*> raw;
      for (auto& a : argv) raw.push_back(a.data());
      raw.push_back(nullptr);
      ::execv(raw[0], raw.data());
      _exit(127);
    }
    n.pid = pid;
  }

  // Sends `sig` to node i and reaps it.
  void Stop(std::size_t i, int sig) {
    Node& n = nodes_[i];
    if (n.pid <= 0) return;
    ::kill(n.pid, sig);
    int status = 0;
    ::waitpid(n.pid, &status, 0);
    n.pid = -1;
  }

  // False when node i does not accept within `timeout`, or exits first (its pid is then -1).
  bool WaitAccepting(std::size_t i, std::chrono::seconds timeout = std::chrono::seconds(20)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (PortAccepts(nodes_[i].client_port)) return true;
      int status = 0;
      if (nodes_[i].pid > 0 && ::waitpid(nodes_[i].pid, &status, WNOHANG) == nodes_[i].pid) {
        nodes_[i].pid = -1;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  std::size_t size() const { return nodes_.size(); }
  int client_port(std::size_t i) const { return nodes_[i].client_port; }
  std::string url(std::size_t i) const {
    return "nats://127.0.0.1:" + std::to_string(nodes_[i].client_port);
  }
  // Every node's URL, comma-separated (what `jetstream.urls` and libnats take).
  std::vector<std::string> urls() const {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < nodes_.size(); ++i) out.push_back(url(i));
    return out;
  }
  std::string log(std::size_t i) const { return nodes_[i].log; }

 private:
  struct Node {
    int client_port = 0;
    int cluster_port = 0;
    std::string store;
    std::string log;
    pid_t pid = -1;
  };
  std::vector<std::string> extra_args_;
  std::string binary_;
  TempDir dir_;
  std::vector<Node> nodes_;
};

}  // namespace vigil::tests

#endif  // VIGIL_TESTS_NATS_SERVER_H_
