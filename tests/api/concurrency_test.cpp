// One Model used from several application threads at once (run, preprocess_file) must give
// exactly what it gives when used from one thread.
#include <cstring>
#include <thread>

#include <gtest/gtest.h>

#include "api_models.h"
#include "vitcpp/vitcpp.h"

namespace vitcpp {
namespace {

constexpr int kThreads = 4, kIterations = 40, kMaxBatch = 4;

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// A model of this dtype, or null when this CPU has no kernels for it.
std::unique_ptr<Model> load_or_null(Dtype dtype) {
  try {
    return std::make_unique<Model>(Model::load(test::digits_folder(), dtype));
  } catch (const std::exception& e) {
    if (std::string(e.what()).find("this CPU has no") == std::string::npos) throw;
    return nullptr;
  }
}

void expect_concurrent_runs_match_sequential(Dtype dtype) {
  const std::unique_ptr<Model> model = load_or_null(dtype);
  if (!model) GTEST_SKIP() << "this CPU cannot run the dtype";
  const int H = model->input_height(), W = model->input_width();
  const std::vector<std::string> images = test::digit_images();
  std::vector<float> pixels;
  for (int i = 0; i < kMaxBatch; ++i) {
    const std::vector<float> one = model->preprocess_file(images[i]);
    pixels.insert(pixels.end(), one.begin(), one.end());
  }
  const unsigned all = kLogits | kPreLogits | kFeatures;
  std::vector<Outputs> expected;  // by batch size - 1
  for (int batch = 1; batch <= kMaxBatch; ++batch) expected.push_back(model->run(pixels.data(), pixels.size() / kMaxBatch * batch, batch, H, W, all));

  std::vector<int> wrong(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kIterations; ++i) {
        // Every thread runs every batch size, so the same primitives run at the same time.
        const int batch = (i / 2 + t) % kMaxBatch + 1;
        const Outputs& want = expected[batch - 1];
        const Outputs got = model->run(pixels.data(), pixels.size() / kMaxBatch * batch, batch, H, W, all);
        wrong[t] += !same_bits(got.logits, want.logits) || !same_bits(got.pre_logits, want.pre_logits) ||
                    !same_bits(got.features, want.features);
        const std::vector<float> image = model->preprocess_file(images[batch - 1]);
        wrong[t] += !same_bits(image, std::vector<float>(pixels.begin() + image.size() * (batch - 1),
                                                          pixels.begin() + image.size() * batch));
      }
    });
  for (std::thread& t : threads) t.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(wrong[t], 0) << "thread " << t << ": runs differing from sequential ones";
}

TEST(ApiConcurrency, F32RunsFromFourThreadsMatchSequentialBitForBit) { expect_concurrent_runs_match_sequential(Dtype::F32); }
TEST(ApiConcurrency, Bf16RunsFromFourThreadsMatchSequentialBitForBit) { expect_concurrent_runs_match_sequential(Dtype::BF16); }
TEST(ApiConcurrency, Int8RunsFromFourThreadsMatchSequentialBitForBit) { expect_concurrent_runs_match_sequential(Dtype::INT8); }

}  // namespace
}  // namespace vitcpp
