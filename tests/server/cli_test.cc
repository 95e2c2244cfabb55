// `sluice serve` as a program: the startup line names the address, SIGTERM stops it cleanly
// (exit 0) and what was acknowledged is in the file afterwards.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include "server/server_fixture.h"

#ifdef SLUICE_CLI_PATH

namespace sluice::server::testing {
namespace {

class CliServer {
 public:
  explicit CliServer(const std::string& db) {
    int fds[2];
    EXPECT_EQ(pipe(fds), 0);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], STDOUT_FILENO);
      close(fds[0]);
      close(fds[1]);
      execl(SLUICE_CLI_PATH, SLUICE_CLI_PATH, "serve", db.c_str(), "--http-addr", "127.0.0.1:0",
            "--threads", "1", static_cast<char*>(nullptr));
      _exit(127);
    }
    close(fds[1]);
    out_ = fdopen(fds[0], "r");
  }
  ~CliServer() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (out_ != nullptr) fclose(out_);
  }
  // The next line of the server's standard output ("" at EOF).
  std::string line() {
    char buf[1024];
    return fgets(buf, sizeof buf, out_) ? std::string(buf) : std::string();
  }
  // Sends `sig` and returns the exit status.
  int stop(int sig) {
    kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
};

// The port in the startup line's "on http://127.0.0.1:PORT"; 0 when absent.
std::uint16_t port_in(const std::string& banner) {
  const std::string key = " on http://127.0.0.1:";
  const auto at = banner.find(key);
  if (at == std::string::npos) return 0;
  return static_cast<std::uint16_t>(std::atoi(banner.c_str() + at + key.size()));
}

using CliTest = ServerTest;

TEST_F(CliTest, ServeAnnouncesItsAddressAndStopsCleanlyOnSigterm) {
  const std::string path = (dir_ / "cli.db").string();
  CliServer cli(path);
  const std::string banner = cli.line();
  EXPECT_NE(banner.find(" (dashboard: http://127.0.0.1:"), std::string::npos) << banner;
  const std::uint16_t port = port_in(banner);
  ASSERT_NE(port, 0) << banner;
  Client c(port);
  auto res = c.post("/db/execute", R"J(["CREATE TABLE t (x)", "INSERT INTO t VALUES (42)"])J");
  ASSERT_EQ(res.result_int(), 200u);
  EXPECT_EQ(cli.stop(SIGTERM), 0);
  EXPECT_NE(cli.line().find("SIGTERM received"), std::string::npos);
  EXPECT_NE(cli.line().find("stopped cleanly"), std::string::npos);
  Database db = Database::open(path);
  EXPECT_EQ(db.read([](Connection& conn) {
    return conn.query("SELECT x FROM t").scalar<std::int64_t>();
  }),
            42);
}

TEST_F(CliTest, ServeStopsOnSigintWithAnIdleKeepAliveClient) {
  CliServer cli((dir_ / "cli.db").string());
  const std::uint16_t port = port_in(cli.line());
  ASSERT_NE(port, 0);
  Client idle(port);
  ASSERT_EQ(idle.get("/healthz").result_int(), 200u);
  EXPECT_EQ(cli.stop(SIGINT), 0);
}

}  // namespace
}  // namespace sluice::server::testing

#endif  // SLUICE_CLI_PATH
