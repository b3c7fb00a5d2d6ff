// preprocessor_config.json -> preprocess_config_from_json, and back through its writer.
#include "engine/image/preprocessor_config.h"
#include "formats/json_file.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return vit::fuzz::run_one([&] {
    const nlohmann::json json =
        vit::parse_json(std::string(reinterpret_cast<const char*>(data), size), "preprocessor_config.json");
    const vit::PreprocessConfig config = vit::preprocess_config_from_json(json, "preprocessor_config.json");
    (void)vit::preprocess_config_from_json(vit::preprocess_config_to_json(config), "round trip");
  });
}
