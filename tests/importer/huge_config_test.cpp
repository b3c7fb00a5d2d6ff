// A config.json claiming far more than its weights hold is refused from the tensor list,
// before anything is allocated per block.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "engine/model/model_folder.h"
#include "formats/error.h"
#include "formats/json_file.h"
#include "imported_model.h"
#include "test_support/shared_data.h"

namespace vit {
namespace {

TEST(HugeConfig, AMillionBlocksAreRefusedAtOnceFromTheTensorList) {
  const std::string dir = test::import_to_scratch(test::tests_dir() + "/../models/bundled/digits", "huge");
  nlohmann::json config = read_json_file(dir + "/config.json");
  config["num_hidden_layers"] = 1 << 20;
  std::ofstream(dir + "/config.json") << config.dump();
  const auto start = std::chrono::steady_clock::now();
  try {
    load_model(dir);
    ADD_FAILURE() << "loaded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("model.safetensors: holds"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("too few for the config's 1048576 blocks"), std::string::npos) << e.what();
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 0.5);
}

}  // namespace
}  // namespace vit
