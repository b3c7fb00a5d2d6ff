#include "engine/ops/threading.h"

#include <omp.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>
#include <utility>

#include "formats/error.h"

namespace vit {

namespace {

// What OpenMP gives a thread that never set a count (OMP_NUM_THREADS, else every core), read
// when the library loads, before anything changes the loading thread's count.
const int initial_thread_count = omp_get_max_threads();
std::atomic<int> chosen_thread_count{0};

}  // namespace

void exec_with_engine_environment(char** argv) {
  bool changed = false;
  for (const auto& [name, value] : {std::pair<const char*, const char*>{"OMP_WAIT_POLICY", "PASSIVE"},
                                    {"GLIBC_TUNABLES", "glibc.malloc.hugetlb=1"}}) {
    if (std::getenv(name) == nullptr) {
      ::setenv(name, value, 1);
      changed = true;
    }
  }
  if (changed) ::execv("/proc/self/exe", argv);
  // If re-executing fails we simply run with the defaults.
}

int max_thread_count() { return 4 * omp_get_num_procs(); }

void set_thread_count(int threads) {
  if (threads < 0 || threads > max_thread_count())
    fail("", "thread count " + std::to_string(threads) + " is outside 0 (all cores) to " +
                 std::to_string(max_thread_count()) + " (4 per core)");
  chosen_thread_count = threads;
  use_thread_count();
}

int thread_count() {
  const int chosen = chosen_thread_count;
  return chosen > 0 ? chosen : initial_thread_count;
}

void use_thread_count() { omp_set_num_threads(thread_count()); }

}  // namespace vit
