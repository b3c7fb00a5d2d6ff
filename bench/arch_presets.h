// The models vitbench can run without files: timm architectures by name, or a config.json.
#pragma once
#include <array>
#include <optional>
#include <string>

#include "engine/model/vit_config.h"

namespace vit {

// A timm architecture name from models/timm_architectures.json that the engine runs (e.g.
// "vit_base_patch16_384", "vit_small_patch14_dinov2", "deit_base_distilled_patch16_224"),
// resolved by the importer as a checkpoint of it would be; or a config.json file (any family
// the engine loads, e.g. bench/configs/). At its own input size, or built for `image_size`
// (H, W) when given, as timm.create_model(name, img_size=...) builds it: the position
// embeddings then cover that patch grid. Throws Error for unknown names, with the importer's
// reason for architectures it refuses, and for sizes that are no multiple of the patch size.
VitConfig arch_config(const std::string& name, const std::optional<std::array<int, 2>>& image_size = std::nullopt);

// "N" (N x N) or "HxW", each side 1..kMaxImageSide. Throws Error(--image-size: ...) otherwise.
constexpr int kMaxImageSide = 4096;
std::array<int, 2> parse_image_size(const std::string& text);

}  // namespace vit
