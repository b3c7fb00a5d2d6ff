// Model::set_threads holds for inference started from any thread, and 0 restores the default.
#include <omp.h>

#include <thread>

#include <gtest/gtest.h>

#include "api_models.h"
#include "test_support/shared_data.h"
#include "vitcpp/vitcpp.h"

namespace vitcpp {
namespace {

// Threads in a parallel region opened now on the calling thread: what the engine's own
// regions get after a call has set up this thread.
int team_size_here() {
  int size = 0;
#pragma omp parallel
  {
#pragma omp single
    size = omp_get_num_threads();
  }
  return size;
}

// The team size on a fresh application thread after one inference there.
int team_size_after_run_on_new_thread(const Model& model, const std::vector<float>& pixels) {
  int size = 0;
  std::thread([&] {
    model.classify(pixels.data(), pixels.size(), 1, 1);
    size = team_size_here();
  }).join();
  return size;
}

TEST(ApiThreads, CountHoldsOnEveryThreadAndZeroRestoresTheDefault) {
  int initial = 0;
  std::thread([&] { initial = omp_get_max_threads(); }).join();  // what a thread gets untouched
  const Model model = Model::load(test::digits_folder());
  const std::vector<float> pixels = model.preprocess_file(test::digit_images()[0]);
  for (int count : {1, 3}) {
    Model::set_threads(count);
    EXPECT_EQ(Model::threads(), count);
    EXPECT_EQ(team_size_after_run_on_new_thread(model, pixels), count);
  }
  Model::set_threads(0);
  EXPECT_EQ(Model::threads(), initial);
  EXPECT_EQ(team_size_after_run_on_new_thread(model, pixels), initial);
  model.classify(pixels.data(), pixels.size(), 1, 1);
  EXPECT_EQ(team_size_here(), initial) << "set_threads(0) must restore the default on the calling thread too";
}

TEST(ApiThreads, AbsurdCountsAreRefused) {
  EXPECT_THROW(Model::set_threads(-1), std::runtime_error);
  EXPECT_THROW(Model::set_threads(100000), std::runtime_error);
  EXPECT_NO_THROW(Model::set_threads(4 * omp_get_num_procs()));
  Model::set_threads(0);
  for (const std::string& command :
       {vit::test::tool_path("vitrun") + " --model " + test::digits_folder() + " " + test::digit_images()[0],
        vit::test::tool_path("../bench/vitbench") + " --arch vit_tiny --iters 1"}) {
    std::string output;
    const int rc = vit::test::run_command(command + " --threads 100000", &output);
    EXPECT_EQ(rc, 2) << command << ": " << output;
    EXPECT_NE(output.find("thread count 100000"), std::string::npos) << output;
    EXPECT_EQ(std::count(output.begin(), output.end(), '\n'), 1) << output;
  }
}

}  // namespace
}  // namespace vitcpp
