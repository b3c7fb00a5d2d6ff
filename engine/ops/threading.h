// The one thread pool: OpenMP (libgomp), shared by oneDNN and our own kernels.
#pragma once

namespace vit {

// Sets what the runtime libraries only read at start-up, re-executing the program once when
// something was missing; call first thing in main():
// - OMP_WAIT_POLICY=PASSIVE: idle OpenMP threads sleep instead of spin-waiting (peers on a busy
//   machine slow down several times from spinning);
// - GLIBC_TUNABLES=glibc.malloc.hugetlb=1: large allocations use transparent huge pages, so
//   loading hundreds of MB of weights takes far fewer page faults.
// Values the user already set are kept.
void exec_with_engine_environment(char** argv);

// Threads for every parallel region from now on; 0 keeps the default (all cores).
void set_thread_count(int threads);
int thread_count();

}  // namespace vit
