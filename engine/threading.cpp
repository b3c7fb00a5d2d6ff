#include "engine/threading.h"

#include <omp.h>
#include <unistd.h>

#include <cstdlib>

namespace vit {

void exec_with_passive_openmp(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  ::setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
  ::execv("/proc/self/exe", argv);
  // If re-executing fails we simply run with the default policy.
}

void set_thread_count(int threads) {
  if (threads > 0) omp_set_num_threads(threads);
}

int thread_count() { return omp_get_max_threads(); }

}  // namespace vit
