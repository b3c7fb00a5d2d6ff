#include "serve/server_process.h"

#include <signal.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "test_support/shared_data.h"

extern char** environ;

namespace vit::test {

namespace {

using Clock = std::chrono::steady_clock;

pid_t spawn_logged(const std::vector<std::string>& args, const std::string& log_path) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : 0;
}

}  // namespace

ServerProcess::ServerProcess(const std::string& model, const std::vector<std::string>& extra) {
  log_path_ = scratch_dir("vitserve") + "/server.log";
  std::vector<std::string> args = {tool_path("vitserve"), "--model", model, "--port", "0"};
  args.insert(args.end(), extra.begin(), extra.end());
  pid_ = spawn_logged(args, log_path_);
  if (pid_ == 0 || !wait_until_ready()) {
    ADD_FAILURE() << "vitserve did not become ready: " << log();
    if (pid_ != 0) ::kill(pid_, SIGKILL), ::waitpid(pid_, nullptr, 0);
    pid_ = 0;
  }
}

ServerProcess::~ServerProcess() {
  if (pid_ == 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
}

bool ServerProcess::wait_until_ready() {
  static const std::regex listening("on http://[^:]+:([0-9]+)/");
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  while (Clock::now() < deadline) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return false;  // exited early
    std::smatch m;
    const std::string text = log();
    if (port_ == 0 && std::regex_search(text, m, listening)) port_ = std::stoi(m[1]);
    if (port_ != 0) {
      auto res = client()->Get("/healthz");
      if (res && res->status == 200) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

std::unique_ptr<httplib::Client> ServerProcess::client() const {
  auto c = std::make_unique<httplib::Client>("127.0.0.1", port_);
  c->set_read_timeout(60, 0);
  return c;
}

int ServerProcess::terminate() {
  if (pid_ == 0) return -1;
  ::kill(pid_, SIGTERM);
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  int status = 0;
  while (Clock::now() < deadline) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = 0;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

std::string ServerProcess::log() const { return read_file_bytes(log_path_); }

std::string read_file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

double metric_value(const std::string& metrics, const std::string& name) {
  std::istringstream lines(metrics);
  std::string line;
  while (std::getline(lines, line))
    if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
  return -1;
}

}  // namespace vit::test
