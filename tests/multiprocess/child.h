// Child: a real child process (fork + exec of the mp_child helper), with a pipe to its stdin and
// one from its stdout, for multi-process tests. No Database crosses the fork: the child execs
// at once and opens its own.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

namespace sluice::testing {

class Child {
 public:
  // Starts MP_CHILD_PATH with `args`. Extra environment entries ("NAME=value") are added.
  explicit Child(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    // Everything the child needs is built before fork(): between fork and exec a child of a
    // multi-threaded process may only make async-signal-safe calls (no malloc).
    std::vector<std::string> all = {MP_CHILD_PATH};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_copy = env;
    std::vector<char*> envp;
    for (auto& e : env_copy) envp.push_back(e.data());  // first: getenv finds the first match
    for (char** e = environ; *e != nullptr; ++e) envp.push_back(*e);
    envp.push_back(nullptr);
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork");
    if (pid_ == 0) {
      dup2(in[0], 0);
      dup2(out[1], 1);
      execve(argv[0], argv.data(), envp.data());
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    to_child_ = in[1];
    from_child_ = out[0];
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (to_child_ >= 0) close(to_child_);
    if (from_child_ >= 0) close(from_child_);
  }

  pid_t pid() const { return pid_; }

  // The next line the child prints ("" at end of file), waiting at most timeout.
  // Throws when the time runs out, so a stuck child fails the test instead of hanging it.
  std::string read_line(std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) throw std::runtime_error("child printed no line in time");
      pollfd p{from_child_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[512];
      const ssize_t n = ::read(from_child_, buf, sizeof buf);
      if (n <= 0) {
        std::string rest = buffer_;
        buffer_.clear();
        return rest;
      }
      buffer_.append(buf, static_cast<std::size_t>(n));
    }
  }

  void send(const std::string& line) {
    const std::string s = line + "\n";
    if (::write(to_child_, s.data(), s.size()) != static_cast<ssize_t>(s.size())) {
      throw std::runtime_error("write to child");
    }
  }
  void close_stdin() {
    close(to_child_);
    to_child_ = -1;
  }

  void kill(int sig) { ::kill(pid_, sig); }

  // Waits for the child to end; returns its exit status, or 128 + signal.
  int wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    reaped_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int to_child_ = -1;
  int from_child_ = -1;
  std::string buffer_;
};

}  // namespace sluice::testing
