#include "pickle_globals.h"

#include <cstring>

namespace vit {

namespace {

const char* const kContainer[] = {
    "collections.OrderedDict", "builtins.set", "builtins.frozenset", "builtins.bytearray",
    "_codecs.encode",  // how protocol 2 spells bytes: evaluated only for latin-1, never called
};

const char* const kStorageTypes[] = {
    "FloatStorage", "HalfStorage", "BFloat16Storage", "DoubleStorage", "LongStorage",
    "IntStorage",   "ShortStorage", "CharStorage",    "ByteStorage",   "BoolStorage",
};

const char* const kTorch[] = {
    "torch._utils._rebuild_tensor",
    "torch._utils._rebuild_tensor_v2",
    "torch._utils._rebuild_parameter",
    "torch._utils._rebuild_parameter_with_state",
    "torch._tensor._rebuild_from_type_v2",
    "torch.storage.UntypedStorage",
    "torch.Size",
    "torch.Tensor",
    "torch.nn.parameter.Parameter",
};

const char* const kMetadata[] = {
    "argparse.Namespace",
    "numpy.core.multiarray.scalar",
    "numpy.core.multiarray._reconstruct",
    "numpy._core.multiarray.scalar",
    "numpy._core.multiarray._reconstruct",
    "numpy.dtype",
    "numpy.ndarray",
    "torch.device",
    "copyreg._reconstructor",  // protocol 0/1 spelling of object reconstruction
    "builtins.object",         // its usual argument
};

// torch.float32 and friends: dtype objects stored as plain globals.
const char* const kTorchDtypes[] = {
    "float32", "float", "float16", "half",  "bfloat16", "float64", "double", "int64", "long",
    "int32",   "int",   "int16",   "short", "int8",     "uint8",   "bool",   "complex64",
    "complex128", "cfloat", "cdouble",
};

template <size_t N>
bool listed(const char* const (&list)[N], const std::string& s) {
  for (const char* e : list)
    if (s == e) return true;
  return false;
}

}  // namespace

std::string normalize_global_module(const std::string& module) {
  if (module == "__builtin__") return "builtins";
  if (module == "copy_reg") return "copyreg";
  return module;
}

GlobalRole classify_global(const std::string& raw_module, const std::string& name) {
  const std::string module = normalize_global_module(raw_module);
  const std::string q = module + "." + name;
  if (listed(kContainer, q)) return GlobalRole::Container;
  if (listed(kTorch, q)) return GlobalRole::Torch;
  if ((module == "torch" || module == "torch.cuda") && listed(kStorageTypes, name))
    return GlobalRole::Torch;
  if (listed(kMetadata, q)) return GlobalRole::Metadata;
  if (module == "torch" && listed(kTorchDtypes, name)) return GlobalRole::Metadata;
  return GlobalRole::Refused;
}

std::vector<std::string> allowed_globals() {
  std::vector<std::string> out(std::begin(kContainer), std::end(kContainer));
  out.insert(out.end(), std::begin(kTorch), std::end(kTorch));
  for (const char* s : kStorageTypes) out.push_back(std::string("torch.") + s);
  for (const char* s : kStorageTypes) out.push_back(std::string("torch.cuda.") + s);
  return out;
}

std::vector<std::string> metadata_globals() {
  std::vector<std::string> out(std::begin(kMetadata), std::end(kMetadata));
  for (const char* s : kTorchDtypes) out.push_back(std::string("torch.") + s);
  return out;
}

}  // namespace vit
