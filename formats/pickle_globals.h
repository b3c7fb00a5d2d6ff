// Which globals (classes / functions named by GLOBAL, STACK_GLOBAL, INST) a pickle may name.
// Nothing is ever imported or called; the role decides what calling one builds.
#pragma once
#include <string>
#include <vector>

namespace vit {

enum class GlobalRole {
  Refused,    // not on any list: the load fails naming it (scan mode records it instead)
  Container,  // built by the unpickler itself: OrderedDict, set, frozenset, bytearray, _codecs.encode
  Torch,      // handled by the torch loader: tensor/parameter rebuilds, storage types, torch.Size
  Metadata,   // inert metadata of training checkpoints: calling it records an opaque Object
};

// Python 2 spellings (__builtin__, copy_reg) are mapped to their Python 3 modules first.
std::string normalize_global_module(const std::string& module);
GlobalRole classify_global(const std::string& module, const std::string& name);

// The lists, as "module.name", for documentation and --help output.
std::vector<std::string> allowed_globals();   // Container + Torch
std::vector<std::string> metadata_globals();  // Metadata

}  // namespace vit
