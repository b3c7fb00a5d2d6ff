// A timm architecture from its name alone, without a checkpoint: the state-dict facts that
// timm's VisionTransformer would have for it, put through resolve_architecture so that a bare
// name gets the same agreement checks and refusals as a checkpoint of it.
#pragma once
#include <array>
#include <optional>
#include <string>

#include "importer/architecture.h"
#include "importer/architecture_registry.h"
#include "importer/state_dict_facts.h"

namespace vit {

// What the state dict of VisionTransformer(**args) (or DeiT's distilled variant) shows: widths,
// depth, tokens, biases and norms, and pos_embed rows for args.img_size. Throws Error(where: ...)
// when an argument these need is unknown or the image size makes no patch grid.
StateDictFacts facts_of_architecture(const TimmArchArgs& args, const std::string& where);

// The registry's architecture `name` (a listed or deprecated timm name; names only the
// vit_<size>_patch<P> pattern recognises are refused) as the engine would run it: at its own input size, or built for
// `img_size` (H, W) as timm.create_model(name, img_size=...) builds it. Throws Error(where: ...) for an unknown or
// pattern-only name, and every architecture resolve_architecture refuses (hybrids, SwiGLU MLPs, RMSNorm, ...), with its
// reason.
ResolvedArchitecture resolve_named_architecture(const std::string& name,
                                                const std::optional<std::array<int, 2>>& img_size,
                                                const std::string& where);

}  // namespace vit
