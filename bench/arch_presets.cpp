#include "bench/arch_presets.h"

#include "formats/error.h"
#include "formats/json_file.h"
#include "formats/text.h"
#include "importer/named_architecture.h"

namespace vit {

VitConfig arch_config(const std::string& name, const std::optional<std::array<int, 2>>& image_size) {
  if (!ends_with(name, ".json")) return resolve_named_architecture(name, image_size, "--arch").config;
  VitConfig c = config_from_json(read_json_file(name), name);
  if (image_size) {
    c.image_height = (*image_size)[0];
    c.image_width = (*image_size)[1];
    c.validate(name + " at --image-size");
  }
  return c;
}

std::array<int, 2> parse_image_size(const std::string& text) {
  const size_t x = text.find('x');
  const std::string sides[2] = {text.substr(0, x), x == std::string::npos ? text : text.substr(x + 1)};
  std::array<int, 2> size{};
  for (int i = 0; i < 2; ++i) {
    const std::string& s = sides[i];
    if (s.empty() || s.size() > 5 || s.find_first_not_of("0123456789") != std::string::npos || std::stoi(s) <= 0 ||
        std::stoi(s) > kMaxImageSide)
      fail("--image-size",
           "expected N or HxW with sides 1.." + std::to_string(kMaxImageSide) + ", got \"" + text + "\"");
    size[i] = std::stoi(s);
  }
  return size;
}

}  // namespace vit
