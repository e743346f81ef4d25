#include "controls/command_runner.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace vigil::controls {
namespace {

// Closes a file descriptor when it goes out of scope.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { Close(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void Reset(int fd) {
    Close();
    fd_ = fd;
  }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

Status MakePipe(Fd& read_end, Fd& write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return MakeError(ErrorCode::kIo, fmt::format("pipe: {}", std::strerror(errno)));
  }
  read_end.Reset(fds[0]);
  write_end.Reset(fds[1]);
  return Ok();
}

}  // namespace

Result<CommandResult> CommandRunner::RunWithInput(const std::vector<std::string>& argv,
                                                  std::string_view) {
  return MakeError(ErrorCode::kUnsupported,
                   fmt::format("this command runner cannot feed standard input to '{}'",
                               argv.empty() ? std::string() : argv[0]));
}

Result<CommandResult> ProcessRunner::Run(const std::vector<std::string>& argv) {
  return Spawn(argv, nullptr);
}

Result<CommandResult> ProcessRunner::RunWithInput(const std::vector<std::string>& argv,
                                                  std::string_view input) {
  return Spawn(argv, &input);
}

Result<CommandResult> ProcessRunner::Spawn(const std::vector<std::string>& argv,
                                           const std::string_view* input) {
  if (argv.empty() || argv[0].empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "no program to run");
  }
  Fd out_read, out_write, err_read, err_write, in_read, in_write;
  VIGIL_TRY_STATUS(MakePipe(out_read, out_write));
  VIGIL_TRY_STATUS(MakePipe(err_read, err_write));
  if (input != nullptr) {
    VIGIL_TRY_STATUS(MakePipe(in_read, in_write));
    // Written between reads, so a program that prints before it reads cannot deadlock us.
    ::fcntl(in_write.get(), F_SETFL, ::fcntl(in_write.get(), F_GETFL) | O_NONBLOCK);
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (input != nullptr) {
    posix_spawn_file_actions_adddup2(&actions, in_read.get(), STDIN_FILENO);
  } else {
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  }
  posix_spawn_file_actions_adddup2(&actions, out_write.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_write.get(), STDERR_FILENO);

  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    if (rc == ENOENT || rc == EACCES || rc == ENOEXEC) {
      return MakeError(ErrorCode::kNotFound,
                       fmt::format("'{}' was not found on PATH or cannot be run ({})", argv[0],
                                   std::strerror(rc)));
    }
    return MakeError(ErrorCode::kIo,
                     fmt::format("cannot start '{}': {}", argv[0], std::strerror(rc)));
  }
  out_write.Close();
  err_write.Close();
  in_read.Close();

  CommandResult result;
  std::string* sinks[2] = {&result.out, &result.err};
  pollfd fds[3] = {{out_read.get(), POLLIN, 0},
                   {err_read.get(), POLLIN, 0},
                   {in_write.get(), POLLOUT, 0}};
  std::string_view pending = input != nullptr ? *input : std::string_view();
  if (input != nullptr && pending.empty()) {
    in_write.Close();
    fds[2].fd = -1;
  }
  // A program that exits without reading its input makes write() raise SIGPIPE: block it in this
  // thread while writing and swallow a pending one afterwards (EPIPE is handled as end of input).
  sigset_t pipe_set, old_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  if (input != nullptr) ::pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
  int open_fds = 2;
  bool too_much = false;
  char buffer[65536];
  while (open_fds > 0 || fds[2].fd >= 0) {
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[2].fd >= 0 && fds[2].revents != 0) {
      const ssize_t n = (fds[2].revents & POLLOUT) != 0
                            ? ::write(fds[2].fd, pending.data(), pending.size())
                            : -1;
      if (n > 0) pending.remove_prefix(static_cast<size_t>(n));
      if (pending.empty() || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        in_write.Close();  // EOF for the program (or it stopped reading: EPIPE)
        fds[2].fd = -1;
      }
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        if (sinks[i]->size() + static_cast<size_t>(n) > kMaxOutputBytes) {
          too_much = true;
        } else {
          sinks[i]->append(buffer, static_cast<size_t>(n));
        }
      } else if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  if (input != nullptr) {
    in_write.Close();
    const timespec zero{0, 0};
    while (::sigtimedwait(&pipe_set, nullptr, &zero) > 0) {
    }
    ::pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return MakeError(ErrorCode::kIo,
                       fmt::format("waiting for '{}': {}", argv[0], std::strerror(errno)));
    }
  }
  if (too_much) {
    return MakeError(ErrorCode::kIo,
                     fmt::format("'{}' printed more than {} bytes", argv[0], kMaxOutputBytes));
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace vigil::controls
