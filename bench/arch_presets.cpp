#include "bench/arch_presets.h"

#include "formats/error.h"
#include "formats/json_file.h"
#include "formats/text.h"

namespace vit {

namespace {

struct Preset {
  const char* name;
  int hidden, layers, heads;
};
constexpr Preset kPresets[] = {{"vit_tiny_patch16_224", 192, 12, 3},
                               {"vit_small_patch16_224", 384, 12, 6},
                               {"vit_base_patch16_224", 768, 12, 12},
                               {"vit_large_patch16_224", 1024, 24, 16}};

}  // namespace

VitConfig arch_config(const std::string& name) {
  if (ends_with(name, ".json")) return config_from_json(read_json_file(name), name);
  for (const Preset& p : kPresets) {
    if (name != p.name) continue;
    VitConfig c;
    c.hidden_size = p.hidden;
    c.num_layers = p.layers;
    c.num_heads = p.heads;
    c.intermediate_size = 4 * p.hidden;
    c.num_classes = 1000;
    c.validate(name);
    return c;
  }
  std::string known;
  for (const Preset& p : kPresets) known += std::string(known.empty() ? "" : ", ") + p.name;
  fail("--arch", "unknown architecture \"" + name + "\" (known: " + known + ")");
}

}  // namespace vit
