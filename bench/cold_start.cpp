#include "bench/cold_start.h"

#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "bench/latency_stats.h"
#include "engine/ops/huge_pages.h"
#include "formats/error.h"

namespace vit {

double first_touch_ms(size_t mib) {
  const size_t bytes = mib << 20;
  const std::shared_ptr<void> memory = allocate_huge_pages(bytes);  // as packed weights are allocated
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < bytes; i += 4096) static_cast<volatile char*>(memory.get())[i] = 1;
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

std::string self_executable() {
  std::vector<char> buffer(4096);
  const ssize_t n = ::readlink("/proc/self/exe", buffer.data(), buffer.size() - 1);
  if (n <= 0) fail("/proc/self/exe", std::strerror(errno));
  return std::string(buffer.data(), static_cast<size_t>(n));
}

ColdRun run_cold_child(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int fds[2];
  if (::pipe(fds) != 0) fail("cold start", std::string("pipe: ") + std::strerror(errno));

  ColdRun run;
  const double start = now_ms();
  const pid_t pid = ::fork();
  if (pid < 0) fail("cold start", std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    ::close(fds[0]);
    ::close(fds[1]);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  char chunk[4096];
  for (;;) {
    const ssize_t n = ::read(fds[0], chunk, sizeof chunk);
    if (n > 0) {
      run.child_report.append(chunk, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  run.report_ms = now_ms() - start;
  ::close(fds[0]);

  int status = 0;
  struct rusage usage {};
  while (::wait4(pid, &status, 0, &usage) < 0)
    if (errno != EINTR) fail("cold start", std::string("wait4: ") + std::strerror(errno));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    fail("cold start", "the child " + args[0] + " failed (status " + std::to_string(status) + ")");
  run.peak_rss_mb = usage.ru_maxrss / 1024.0;  // Linux reports kilobytes
  return run;
}

}  // namespace vit
