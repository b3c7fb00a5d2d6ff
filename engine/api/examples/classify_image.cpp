// Classifies images with a converted model folder using only the public vitcpp API.
//   classify_image MODEL_DIR IMAGE...
#include <cstdio>
#include <exception>
#include <vector>

#include <vitcpp/vitcpp.h>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s MODEL_DIR IMAGE...\n", argv[0]);
    return 2;
  }
  try {
    const vitcpp::Model model = vitcpp::Model::load(argv[1]);
    std::vector<float> batch;
    for (int i = 2; i < argc; ++i) {
      const std::vector<float> pixels = model.preprocess_file(argv[i]);
      batch.insert(batch.end(), pixels.begin(), pixels.end());
    }
    const auto predictions = model.classify(batch.data(), batch.size(), argc - 2, 1);
    for (int i = 2; i < argc; ++i) {
      const vitcpp::Prediction& best = predictions[i - 2][0];
      std::printf("%s: %s (%.1f%%)\n", argv[i], best.label.c_str(), 100.0 * best.probability);
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "classify_image: %s\n", e.what());
    return 1;
  }
}
