// `sluice serve` as a program: the startup line names the address, SIGTERM stops it cleanly
// (exit 0) and what was acknowledged is in the file afterwards.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <regex>

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

using CliTest = ServerTest;

TEST_F(CliTest, ServeAnnouncesItsAddressAndStopsCleanlyOnSigterm) {
  const std::string path = (dir_ / "cli.db").string();
  CliServer cli(path);
  const std::string banner = cli.line();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      banner, m,
      std::regex(R"(on http://127\.0\.0\.1:(\d+) \(dashboard: http://127\.0\.0\.1:\d+/)")))
      << banner;
  Client c(static_cast<std::uint16_t>(std::stoi(m[1])));
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
  std::smatch m;
  const std::string banner = cli.line();
  ASSERT_TRUE(std::regex_search(banner, m, std::regex(R"(http://127\.0\.0\.1:(\d+))")));
  Client idle(static_cast<std::uint16_t>(std::stoi(m[1])));
  ASSERT_EQ(idle.get("/healthz").result_int(), 200u);
  EXPECT_EQ(cli.stop(SIGINT), 0);
}

}  // namespace
}  // namespace sluice::server::testing

#endif  // SLUICE_CLI_PATH
