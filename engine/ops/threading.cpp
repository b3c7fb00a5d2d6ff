#include "engine/ops/threading.h"

#include <omp.h>
#include <unistd.h>

#include <cstdlib>
#include <utility>

namespace vit {

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

void set_thread_count(int threads) {
  if (threads > 0) omp_set_num_threads(threads);
}

int thread_count() { return omp_get_max_threads(); }

}  // namespace vit
