// The one trained model: our preprocessing + engine must classify the digits as timm does.
#include <filesystem>
#include <sstream>

#include <gtest/gtest.h>

#include "importer/output_comparison.h"
#include "formats/npy.h"
#include "importer/import_checkpoint.h"
#include "test_support/shared_data.h"
#include "vitcpp/vitcpp.h"

namespace fs = std::filesystem;

namespace vit {
namespace {

int argmax(const float* row, int n) { return static_cast<int>(std::max_element(row, row + n) - row); }

TEST(Digits, PredictionsFromPngFilesMatchTimm) {
  VIT_REQUIRE_SHARED();
  const std::string digits = test::shared_dir() + "/digits";
  ImportOptions o;
  o.checkpoint = digits + "/model";
  o.output_dir = test::scratch_dir("digits") + "/model";
  o.reference_input = digits + "/test_pixels.npy";
  o.references = {{"logits", digits + "/test_logits.npy"}};
  std::ostringstream log;
  const ImportReport report = import_checkpoint(o, log);
  ASSERT_TRUE(report.verified && report.written) << log.str();
  std::cout << log.str();

  const vitcpp::Model model = vitcpp::Model::load(o.output_dir);
  // Logits from timm's own pixels.
  const NpyArray pixels = read_npy(digits + "/test_pixels.npy");
  const std::vector<float> timm_logits = read_npy(digits + "/test_logits.npy").tensor().to_float();
  const std::vector<float> values = pixels.tensor().to_float();
  const int n = static_cast<int>(pixels.shape[0]);
  const vitcpp::Outputs from_pixels = model.run(values.data(), values.size(), n, 32, 32, vitcpp::kLogits);
  const Comparison c = compare_outputs(from_pixels.logits.data(), timm_logits.data(), timm_logits.size());
  std::cout << "logits from test_pixels.npy vs timm: " << describe(c) << "\n";
  EXPECT_TRUE(c.passed) << describe(c);

  // Predictions from the PNG files through our preprocessing.
  const std::vector<float> labels = read_npy(digits + "/test_labels.npy").tensor().to_float();
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(digits + "/images")) files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  ASSERT_EQ(static_cast<int>(files.size()), n);
  int agree = 0, ours_correct = 0, timm_correct = 0;
  double max_pixel_error = 0.0;
  for (int i = 0; i < n; ++i) {
    const std::vector<float> image = model.preprocess_file(files[i]);
    for (size_t k = 0; k < image.size(); ++k)
      max_pixel_error = std::max(max_pixel_error, std::fabs(double(image[k]) - values[i * image.size() + k]));
    const vitcpp::Outputs out = model.run(image.data(), image.size(), 1, 32, 32, vitcpp::kLogits);
    const int ours = argmax(out.logits.data(), 10), theirs = argmax(&timm_logits[i * 10], 10);
    const int truth = static_cast<int>(labels[i]);
    EXPECT_EQ(files[i][files[i].size() - 5], '0' + truth);  // "NNN_L.png": L is the label
    agree += ours == theirs;
    ours_correct += ours == truth;
    timm_correct += theirs == truth;
  }
  std::cout << "PNG -> prediction: agree with timm on " << agree << "/" << n << ", accuracy " << ours_correct << "/" << n
            << " (timm " << timm_correct << "/" << n << "), max pixel difference " << max_pixel_error << "\n";
  EXPECT_GE(agree, 0.99 * n);
  EXPECT_LE(std::abs(ours_correct - timm_correct), 1);
}

}  // namespace
}  // namespace vit
