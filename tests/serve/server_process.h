// A vitserve process for the serve tests: started on a free port (--port 0, the port read from
// its first line), ready once /healthz answers; stopped with SIGTERM.
#pragma once
#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include <httplib.h>

namespace vit::test {

class ServerProcess {
 public:
  // Starts vitserve --model <model> --port 0 <extra...>; fails the test (and leaves pid() at 0)
  // when it does not answer /healthz within 60 s.
  ServerProcess(const std::string& model, const std::vector<std::string>& extra);
  ~ServerProcess();  // SIGKILL when still running

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::unique_ptr<httplib::Client> client() const;
  // Sends SIGTERM and waits (at most 60 s) for the exit; returns the exit code, or -1.
  int terminate();
  std::string log() const;

 private:
  bool wait_until_ready();
  pid_t pid_ = 0;
  int port_ = 0;
  std::string log_path_;
};

std::string read_file_bytes(const std::string& path);
// The value of an unlabelled metric line "<name> <value>" in Prometheus text (-1 if absent).
double metric_value(const std::string& metrics, const std::string& name);

}  // namespace vit::test
