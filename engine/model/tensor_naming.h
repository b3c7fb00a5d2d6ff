// Where the tensors the engine names (transformers' ViT names, see weight_slots) lie in the
// weights file of each family the engine loads.
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine/model/vit_config.h"
#include "formats/stored_tensor.h"

namespace vit {

struct StoredLocation {
  std::string name;         // the tensor in the file
  int part = 0, parts = 1;  // the part-th of `parts` equal row blocks (SigLIP's stacked in_proj)
  int leading_ones = 0;     // size-1 dims the file leaves out in front (CLIP's class_embedding)
};

StoredLocation stored_location(const VitConfig& config, const std::string& engine_name);

// Tensors of a family's file that inference never reads: text towers, logit scales, mask
// tokens, position_ids buffers.
bool unused_tensor(const VitConfig& config, const std::string& stored_name);

using NamedTensors = std::vector<std::pair<std::string, StoredTensor>>;

// The file's tensors under the engine's names. Unused tensors are dropped; tensors that map to
// nothing keep their own name, so loading reports them as unexpected. A tensor the config
// needs that the file lacks is an Error naming `where` and the tensor as the file names it.
std::map<std::string, StoredTensor> tensors_by_engine_name(const VitConfig& config, const NamedTensors& stored,
                                                           const std::string& where);

}  // namespace vit
