// The one thread pool: OpenMP (libgomp), shared by oneDNN and our own kernels.
#pragma once

namespace vit {

// Makes idle OpenMP threads sleep instead of spin-waiting (peers on a busy machine slow down
// several times from spinning). libgomp reads OMP_WAIT_POLICY once when it loads, so when the
// variable is unset this sets it and re-executes the program; call first thing in main().
void exec_with_passive_openmp(char** argv);

// Threads for every parallel region from now on; 0 keeps the default (all cores).
void set_thread_count(int threads);
int thread_count();

}  // namespace vit
