// config.json -> config_from_json, and the config it accepts back through config_to_json.
#include "engine/model/vit_config.h"
#include "importer/config_json.h"
#include "formats/json_file.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return vit::fuzz::run_one([&] {
    const nlohmann::json json = vit::parse_json(std::string(reinterpret_cast<const char*>(data), size), "config.json");
    const vit::VitConfig config = vit::config_from_json(json, "config.json");
    (void)config.position_embeddings();
    (void)config.head_dim();
    // What the engine writes it must read back. The writer spells out a label per class, so
    // the round trip is skipped for class counts only a matching (huge) head would justify.
    if (config.num_classes <= (1 << 14)) (void)vit::config_from_json(vit::config_to_json(config), "round trip");
  });
}
