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

// The thread count for inference, process-wide: 0 restores the default (OMP_NUM_THREADS when
// set, else all cores). OpenMP keeps a count per thread, so the setting reaches another
// thread only through use_thread_count(), which every entry point calls on its calling thread
// before its parallel regions; set_thread_count applies it to the calling thread at once.
// Throws Error for a negative count or one above max_thread_count().
void set_thread_count(int threads);
int thread_count();  // the count in effect (never 0)
void use_thread_count();
int max_thread_count();  // 4 per core: more only slows down, and libgomp fails at absurd counts

}  // namespace vit
