// The C API: every status path, and the same numbers as the C++ API on the digits model.
#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "api_models.h"
#include "engine/image/image_decode.h"
#include "vitcpp/vitcpp.h"
#include "vitcpp/vitcpp_c.h"

namespace vitcpp {
namespace {

vitcpp_model* load_digits() {
  vitcpp_model* model = nullptr;
  EXPECT_EQ(vitcpp_model_load(test::digits_folder().c_str(), nullptr, &model), VITCPP_OK) << vitcpp_last_error();
  return model;
}

struct Loaded {
  vitcpp_model* model = load_digits();
  vitcpp_model_info info = [this] {
    vitcpp_model_info i{};
    i.struct_size = sizeof i;
    EXPECT_EQ(vitcpp_model_get_info(model, &i), VITCPP_OK);
    return i;
  }();
  ~Loaded() { vitcpp_model_free(model); }
  size_t pixel_floats() const { return size_t{3} * info.input_height * info.input_width; }
};

std::vector<float> preprocess(const Loaded& m, const std::string& path) {
  std::vector<float> pixels(m.pixel_floats());
  int h = 0, w = 0;
  EXPECT_EQ(vitcpp_preprocess_file(m.model, path.c_str(), pixels.data(), pixels.size(), &h, &w), VITCPP_OK)
      << vitcpp_last_error();
  return pixels;
}

std::vector<float> logits_of(const Loaded& m, const std::vector<float>& pixels) {
  std::vector<float> logits(m.info.num_classes);
  vitcpp_output_buffer out{VITCPP_OUTPUT_LOGITS, logits.data(), logits.size(), 0};
  EXPECT_EQ(vitcpp_run(m.model, pixels.data(), pixels.size(), 1, m.info.input_height, m.info.input_width, &out, 1),
            VITCPP_OK)
      << vitcpp_last_error();
  EXPECT_EQ(out.written, logits.size());
  return logits;
}

TEST(CApi, VersionAndInfo) {
  EXPECT_STREQ(vitcpp_version(), "0.1.0");
  Loaded m;
  EXPECT_EQ(m.info.num_classes, 10);
  EXPECT_EQ(m.info.num_channels, 3);
  EXPECT_EQ(m.info.dtype, VITCPP_DTYPE_F32);
  EXPECT_EQ(m.info.outputs, unsigned{VITCPP_OUTPUT_LOGITS | VITCPP_OUTPUT_PRE_LOGITS | VITCPP_OUTPUT_FEATURES});
  EXPECT_EQ(m.info.embedding, VITCPP_OUTPUT_PRE_LOGITS);
  char label[8];
  size_t needed = 0;
  EXPECT_EQ(vitcpp_model_label(m.model, 7, label, sizeof label, &needed), VITCPP_OK);
  EXPECT_STREQ(label, "7");
  EXPECT_EQ(needed, 2u);
}

TEST(CApi, GivesTheCppApisNumbersBitForBit) {
  Loaded m;
  const Model cpp = Model::load(test::digits_folder());
  for (const std::string& image : test::digit_images()) {
    const std::vector<float> pixels = preprocess(m, image);
    EXPECT_EQ(pixels, cpp.preprocess_file(image));
    const Outputs want = cpp.run(pixels.data(), pixels.size(), 1, cpp.input_height(), cpp.input_width(), kLogits);
    EXPECT_EQ(logits_of(m, pixels), want.logits) << image;
  }
}

TEST(CApi, EncodedBytesAndDecodedFramesPreprocessLikeTheFile) {
  Loaded m;
  const std::string path = test::digit_images()[0];
  std::ifstream file(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  std::vector<float> from_bytes(m.pixel_floats()), from_rgba(m.pixel_floats());
  int h = 0, w = 0;
  ASSERT_EQ(vitcpp_preprocess_encoded(m.model, bytes.data(), bytes.size(), from_bytes.data(), from_bytes.size(), &h, &w),
            VITCPP_OK);
  EXPECT_EQ(from_bytes, preprocess(m, path));
  // The same image as an RGBA frame with padded rows: alpha and padding are ignored.
  const vit::Image image = vit::load_image(path);
  const size_t stride = size_t(image.width) * 4 + 12;
  std::vector<uint8_t> rgba(stride * image.height, 77);
  for (int y = 0; y < image.height; ++y)
    for (int x = 0; x < image.width; ++x) std::memcpy(&rgba[y * stride + x * 4], image.pixel(x, y), 3);
  ASSERT_EQ(vitcpp_preprocess_rgb(m.model, rgba.data(), image.width, image.height, stride, 4, from_rgba.data(),
                                  from_rgba.size(), &h, &w),
            VITCPP_OK)
      << vitcpp_last_error();
  EXPECT_EQ(from_rgba, from_bytes);
  EXPECT_EQ(vitcpp_preprocess_rgb(m.model, rgba.data(), image.width, image.height, 8, 4, from_rgba.data(),
                                  from_rgba.size(), &h, &w),
            VITCPP_FAILED);
  EXPECT_NE(std::string(vitcpp_last_error()).find("stride 8 is shorter than a row"), std::string::npos);
}

TEST(CApi, BadHandlesAreRefused) {
  float pixel = 0;
  vitcpp_output_buffer out{VITCPP_OUTPUT_LOGITS, &pixel, 1, 0};
  EXPECT_EQ(vitcpp_run(nullptr, &pixel, 1, 1, 1, 1, &out, 1), VITCPP_BAD_HANDLE);
  EXPECT_STREQ(vitcpp_last_error(), "the model handle is NULL");
  uint64_t not_a_model[8] = {42, 0, 0, 0, 0, 0, 0, 0};
  const auto* bogus = reinterpret_cast<const vitcpp_model*>(not_a_model);
  EXPECT_EQ(vitcpp_run(bogus, &pixel, 1, 1, 1, 1, &out, 1), VITCPP_BAD_HANDLE);
  vitcpp_model_info info{};
  info.struct_size = sizeof info;
  EXPECT_EQ(vitcpp_model_get_info(bogus, &info), VITCPP_BAD_HANDLE);
  EXPECT_STREQ(vitcpp_last_error(), "not a live vitcpp_model handle");
  vitcpp_model_free(reinterpret_cast<vitcpp_model*>(not_a_model));  // ignored, not freed
  EXPECT_EQ(not_a_model[0], 42u);
  vitcpp_model* freed = load_digits();
  vitcpp_model_free(freed);
  EXPECT_EQ(vitcpp_model_get_info(freed, &info), VITCPP_BAD_HANDLE);  // looked up, not read
  vitcpp_model_free(freed);  // a second free is ignored
}

TEST(CApi, ShortBuffersSayWhatTheyNeedAndWriteNothing) {
  Loaded m;
  const std::vector<float> pixels = preprocess(m, test::digit_images()[0]);
  std::vector<float> logits(9, -1.0f), features(4, -1.0f);
  vitcpp_output_buffer outs[2] = {{VITCPP_OUTPUT_LOGITS, logits.data(), logits.size(), 0},
                                  {VITCPP_OUTPUT_FEATURES, features.data(), features.size(), 0}};
  EXPECT_EQ(vitcpp_run(m.model, pixels.data(), pixels.size(), 1, m.info.input_height, m.info.input_width, outs, 2),
            VITCPP_BUFFER_TOO_SMALL);
  EXPECT_EQ(outs[0].written, 10u);
  size_t feature_floats = 0;
  ASSERT_EQ(vitcpp_model_output_size(m.model, VITCPP_OUTPUT_FEATURES, 1, m.info.input_height, m.info.input_width,
                                     &feature_floats),
            VITCPP_OK);
  EXPECT_EQ(outs[1].written, feature_floats);
  EXPECT_EQ(logits, std::vector<float>(9, -1.0f));  // untouched
  std::vector<float> small(10);
  int h = 0, w = 0;
  EXPECT_EQ(vitcpp_preprocess_file(m.model, test::digit_images()[0].c_str(), small.data(), small.size(), &h, &w),
            VITCPP_BUFFER_TOO_SMALL);
  EXPECT_EQ(size_t(3) * h * w, m.pixel_floats());
  char label[1];
  size_t needed = 0;
  EXPECT_EQ(vitcpp_model_label(m.model, 3, label, sizeof label, &needed), VITCPP_BUFFER_TOO_SMALL);
  EXPECT_EQ(needed, 2u);
}

TEST(CApi, WrongCountsSizesAndArgumentsAreRefusedWithAMessage) {
  Loaded m;
  const std::vector<float> pixels = preprocess(m, test::digit_images()[0]);
  std::vector<float> logits(10);
  vitcpp_output_buffer out{VITCPP_OUTPUT_LOGITS, logits.data(), logits.size(), 0};
  const int H = m.info.input_height, W = m.info.input_width;
  EXPECT_EQ(vitcpp_run(m.model, pixels.data(), pixels.size() - 1, 1, H, W, &out, 1), VITCPP_INVALID_ARGUMENT);
  EXPECT_NE(std::string(vitcpp_last_error()).find("floats given"), std::string::npos);
  std::vector<float> odd(size_t(3) * (H + 1) * W);
  EXPECT_EQ(vitcpp_run(m.model, odd.data(), odd.size(), 1, H + 1, W, &out, 1), VITCPP_FAILED);
  EXPECT_NE(std::string(vitcpp_last_error()).find("is not a positive multiple of the patch size"), std::string::npos);
  char message[256];
  ASSERT_EQ(vitcpp_model_last_error(m.model, message, sizeof message, nullptr), VITCPP_OK);
  EXPECT_STREQ(message, vitcpp_last_error());  // the handle's last failure too
  vitcpp_output_buffer embeds{VITCPP_OUTPUT_IMAGE_EMBEDS, logits.data(), logits.size(), 0};
  EXPECT_EQ(vitcpp_run(m.model, pixels.data(), pixels.size(), 1, H, W, &embeds, 1), VITCPP_FAILED);
  EXPECT_NE(std::string(vitcpp_last_error()).find("no image_embeds output"), std::string::npos);
  vitcpp_output_buffer unknown{static_cast<vitcpp_output>(3), logits.data(), logits.size(), 0};
  EXPECT_EQ(vitcpp_run(m.model, pixels.data(), pixels.size(), 1, H, W, &unknown, 1), VITCPP_INVALID_ARGUMENT);
  EXPECT_EQ(vitcpp_model_label(m.model, 10, message, sizeof message, nullptr), VITCPP_INVALID_ARGUMENT);
  int h = 0, w = 0;
  EXPECT_EQ(vitcpp_preprocess_file(m.model, "/nonexistent.png", logits.data(), logits.size(), &h, &w), VITCPP_FAILED);
  EXPECT_NE(std::string(vitcpp_last_error()).find("/nonexistent.png"), std::string::npos);
}

TEST(CApi, LoadFailuresAndOptions) {
  vitcpp_model* model = reinterpret_cast<vitcpp_model*>(1);
  EXPECT_EQ(vitcpp_model_load("/nonexistent-folder", nullptr, &model), VITCPP_FAILED);
  EXPECT_EQ(model, nullptr);
  EXPECT_NE(std::string(vitcpp_last_error()).find("/nonexistent-folder"), std::string::npos);
  vitcpp_load_options options;
  vitcpp_load_options_init(&options);
  options.dtype = static_cast<vitcpp_dtype>(9);
  EXPECT_EQ(vitcpp_model_load(test::digits_folder().c_str(), &options, &model), VITCPP_INVALID_ARGUMENT);
  options.dtype = VITCPP_DTYPE_AUTO;
  options.struct_size = 8;
  EXPECT_EQ(vitcpp_model_load(test::digits_folder().c_str(), &options, &model), VITCPP_INVALID_ARGUMENT);
  EXPECT_EQ(vitcpp_model_load(nullptr, nullptr, &model), VITCPP_INVALID_ARGUMENT);
  EXPECT_EQ(vitcpp_model_load(test::digits_folder().c_str(), nullptr, nullptr), VITCPP_INVALID_ARGUMENT);
}

TEST(CApi, TheProgressCallbackSeesTheLoadAndCanStopIt) {
  vitcpp_load_options options;
  vitcpp_load_options_init(&options);
  std::vector<float> seen;
  options.progress_user_data = &seen;
  options.progress = [](float fraction, void* user) {
    static_cast<std::vector<float>*>(user)->push_back(fraction);
    return 0;
  };
  vitcpp_model* model = nullptr;
  ASSERT_EQ(vitcpp_model_load(test::digits_folder().c_str(), &options, &model), VITCPP_OK);
  vitcpp_model_free(model);
  ASSERT_GE(seen.size(), 2u);
  EXPECT_EQ(seen.front(), 0.0f);
  EXPECT_EQ(seen.back(), 1.0f);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  options.progress = [](float fraction, void*) { return fraction > 0.0f ? 1 : 0; };  // stop after the start
  EXPECT_EQ(vitcpp_model_load(test::digits_folder().c_str(), &options, &model), VITCPP_ABORTED);
  EXPECT_EQ(model, nullptr);
  EXPECT_NE(std::string(vitcpp_last_error()).find("stopped by the progress callback"), std::string::npos);
}

TEST(CApi, ConcurrentRunsOnOneHandleMatchOneAtATime) {
  Loaded m;
  const std::vector<std::string> images = test::digit_images();
  std::vector<std::vector<float>> pixels, want;
  for (size_t i = 0; i < 8; ++i) {
    pixels.push_back(preprocess(m, images[i]));
    want.push_back(logits_of(m, pixels.back()));
  }
  std::vector<int> wrong(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int round = 0; round < 5; ++round)
        for (size_t i = 0; i < pixels.size(); ++i) wrong[t] += logits_of(m, pixels[i]) != want[i];
    });
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(wrong, std::vector<int>(4, 0));
}

}  // namespace
}  // namespace vitcpp
