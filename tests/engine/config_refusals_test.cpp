// Values that parse as JSON numbers and strings but would give wrong answers or undefined
// behaviour further on: refused at load with one line naming the key.
#include <string>

#include <gtest/gtest.h>

#include "engine/image/preprocessor_config.h"
#include "engine/model/vit_config.h"
#include "formats/error.h"

namespace vit {
namespace {

std::string preprocessor_error(const std::string& text) {
  try {
    preprocess_config_from_json(nlohmann::json::parse(text), "p.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::string config_error(const std::string& id2label) {
  const std::string text = R"({"model_type": "vit", "hidden_size": 64, "num_hidden_layers": 1,
      "num_attention_heads": 2, "intermediate_size": 128, "image_size": 32, "patch_size": 16,
      "id2label": )" + id2label + "}";
  try {
    config_from_json(nlohmann::json::parse(text), "config.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ConfigRefusals, NormalisationThatMakesFloat32PixelsNonFiniteIsRefused) {
  for (const char* text : {R"({"image_processor_type": "ViTImageProcessor", "image_std": [1e-300, 0.5, 0.5]})",
                           R"({"image_processor_type": "ViTImageProcessor", "rescale_factor": 1e300})",
                           R"({"image_processor_type": "ViTImageProcessor", "image_mean": [1e300, 0, 0]})",
                           R"({"image_processor_type": "TimmEvalTransform", "input_size": [3, 32, 32],
                               "std": [0.5, 1e-60, 0.5]})"}) {
    SCOPED_TRACE(text);
    const std::string message = preprocessor_error(text);
    EXPECT_EQ(message.rfind("p.json: normalisation", 0), 0u) << message;
    EXPECT_NE(message.find("non-finite float32"), std::string::npos) << message;
  }
  EXPECT_EQ(preprocessor_error(R"({"image_processor_type": "ViTImageProcessor", "image_std": [1e-30, 0.5, 0.5]})"), "");
}

TEST(ConfigRefusals, OutOfRangeNumbersAreReportedAsWritten) {
  const std::string crop = preprocessor_error(
      R"({"image_processor_type": "TimmEvalTransform", "input_size": [3, 32, 32], "crop_pct": 1e-300})");
  EXPECT_NE(crop.find("must be in [0.01, 10], got 1e-300"), std::string::npos) << crop;
  const std::string resample = preprocessor_error(R"({"image_processor_type": "ViTImageProcessor", "resample": 4294967298})");
  EXPECT_NE(resample.find("resample"), std::string::npos) << resample;
  EXPECT_EQ(resample.find("BILINEAR"), std::string::npos) << resample;  // not truncated to 2
}

TEST(ConfigRefusals, Id2labelKeysArePlainDecimalIndices) {
  EXPECT_EQ(config_error(R"({"0": "a", "1": "b", "10": "c"})"), "");
  for (const char* key : {"0x1", " 1", "+1", "01", "1.0", "", "-1", "99999999999"}) {
    SCOPED_TRACE(key);
    const std::string message = config_error(std::string(R"({")") + key + R"(": "a"})");
    EXPECT_NE(message.find("is not a class index in plain decimal"), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace vit
