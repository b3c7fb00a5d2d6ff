// Process start to first logits: runs a child vitbench and times it from outside.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace vit {

struct ColdRun {
  double report_ms = 0;      // from before fork() until the child's report arrived (pipe EOF)
  double peak_rss_mb = 0;    // the child's peak resident set (wait4 rusage, ru_maxrss)
  std::string child_report;  // the child's stdout: its --json object
};

// Forks and execs `args` (args[0] is the program path) with stdout on a pipe, waits for it,
// and throws Error when it cannot start or exits unsuccessfully.
ColdRun run_cold_child(const std::vector<std::string>& args);

// Milliseconds to write one byte per 4 KiB page of `mib` MiB of fresh memory (advised to use
// huge pages, as packed weights are): the price of the first touch of new memory, which the
// packed weights pay once per process. On virtual machines it can exceed the forward pass.
double first_touch_ms(size_t mib);

// The running executable's path (/proc/self/exe), for re-running ourselves.
std::string self_executable();

}  // namespace vit
