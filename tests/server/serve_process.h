// Test helpers for running the real `vigil serve` binary: start it (fork/execv, stderr to a file),
// learn its port from the "listening on" line, send it signals, and wait for its exit. Plus a
// temporary directory and the traffic generator's EventList batches.
#ifndef VIGIL_TESTS_SERVER_SERVE_PROCESS_H_
#define VIGIL_TESTS_SERVER_SERVE_PROCESS_H_

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "temp_dir.h"
#include "store/finding_store.h"

namespace vigil::server::testing {

namespace fs = std::filesystem;

inline std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void WriteFile(const fs::path& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

// Every stored finding's id → count.
// Every finding the store at `db` holds (none, with a test failure, when it cannot be read).
inline std::vector<findings::Finding> StoredFindings(const std::string& db) {
  auto store = store::OpenFindingStore(db);
  EXPECT_TRUE(store.has_value()) << (store ? "" : store.error().ToString());
  if (!store) return {};
  auto page = (*store)->List({.limit = 0});
  EXPECT_TRUE(page.has_value());
  return page ? std::move(page->findings) : std::vector<findings::Finding>{};
}

inline std::map<std::string, std::uint64_t> StoredCounts(const std::string& db) {
  std::map<std::string, std::uint64_t> out;
  for (const auto& f : StoredFindings(db)) out[f.id] = f.count;
  return out;
}

// StoredCounts for batches that arrived in no particular order (concurrent clients): an attack
// sequence takes its id when it first qualifies, so which id it gets, and whether two chains that
// link up late stay two findings, depends on arrival order. Every other finding is keyed by id;
// the sequences by the total of their counts, which every event adds to exactly once in any order.
inline std::map<std::string, std::uint64_t> OrderFreeCounts(const std::string& db) {
  std::map<std::string, std::uint64_t> out;
  for (const auto& f : StoredFindings(db)) {
    if (f.type == "AttackSequence:EKS/CompromisedCluster") {
      out["attack sequences, total count"] += f.count;
    } else {
      out[f.id] = f.count;
    }
  }
  return out;
}

using vigil::tests::TempDir;

// Runs `argv` and waits for it; returns the exit status (-signal if killed).
inline int RunToExit(const std::vector<std::string>& argv, const std::string& stdout_file) {
  pid_t pid = fork();
  if (pid == 0) {
    int fd = ::open(stdout_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      close(fd);
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

class ServeProcess {
 public:
  // Starts `vigil serve` with `args` (after "serve"); stderr goes to `log`.
  ServeProcess(std::vector<std::string> args, std::string log) : log_(std::move(log)) {
    // A client writing to a connection the server closed (a refused handshake, a 413 before the
    // body was read) must get EPIPE, not die of SIGPIPE.
    ::signal(SIGPIPE, SIG_IGN);
    offset_ = ReadFile(log_).size();  // the log may hold earlier runs' lines
    pid_ = fork();
    if (pid_ == 0) {
      int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        dup2(fd, 2);
        dup2(fd, 1);
        close(fd);
      }
      std::vector<std::string> argv = {VIGIL_BINARY, "serve"};
      argv.insert(argv.end(), args.begin(), args.end());
      std::vector<char*> raw;
      for (auto& a : argv) raw.push_back(a.data());
      raw.push_back(nullptr);
      execv(raw[0], raw.data());
      _exit(127);
    }
  }
  ~ServeProcess() {
    if (running()) {
      Signal(SIGKILL);
      Wait(std::chrono::seconds(10));
    }
  }

  // Waits for "listening on HOST:PORT"; returns the port, or nullopt when the process exited or
  // the line did not come within `timeout`.
  std::optional<int> WaitForPort(std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    static const std::regex kListening("listening on [^ ]*:([0-9]+) ");
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      std::string text = ReadFile(log_);
      // Only lines after the last start count (the log is appended to across restarts).
      std::smatch m;
      std::string::const_iterator from =
          text.begin() + static_cast<long>(std::min(offset_, text.size()));
      if (std::regex_search(from, text.cend(), m, kListening)) {
        offset_ = text.size();
        port_ = std::stoi(m[1].str());
        return port_;
      }
      if (!running()) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return std::nullopt;
  }

  void Signal(int sig) {
    if (pid_ > 0 && exit_code_ == kRunning) ::kill(pid_, sig);
  }

  bool running() {
    if (exit_code_ != kRunning) return false;
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
      return false;
    }
    return true;
  }

  // Waits for exit; returns the exit status (-signal if killed), or nullopt on timeout.
  std::optional<int> Wait(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (running()) {
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return exit_code_;
  }

  int port() const { return port_; }
  std::string log() const { return ReadFile(log_); }
  void set_log_offset_to_end() { offset_ = ReadFile(log_).size(); }

 private:
  static constexpr int kRunning = -1000;
  std::string log_;
  pid_t pid_ = -1;
  int port_ = 0;
  int exit_code_ = kRunning;
  size_t offset_ = 0;
};

// EventList bodies of up to 400 events from vigil_gen_audit (one per line of its eventlist
// output), or an empty vector when the generator is not built (VIGIL_BUILD_BENCH=OFF).
inline std::vector<std::string> GeneratedBatches(const TempDir& dir,
                                                 int events,
                                                 const std::string& attack_rate,
                                                 int seed = 42) {
  const std::string gen = std::string(VIGIL_BINARY_DIR) + "/bench/vigil_gen_audit";
  if (::access(gen.c_str(), X_OK) != 0) return {};
  const std::string out = dir.File("batches.jsonl");
  int rc = RunToExit({gen, "--events", std::to_string(events), "--seed", std::to_string(seed),
                      "--attack-rate", attack_rate, "--format", "eventlist", "-o", out},
                     dir.File("gen.out"));
  if (rc != 0) return {};
  std::vector<std::string> batches;
  std::istringstream in(ReadFile(out));
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) batches.push_back(line);
  }
  return batches;
}

}  // namespace vigil::server::testing

#endif  // VIGIL_TESTS_SERVER_SERVE_PROCESS_H_
