// torch.save files, zip and legacy, from the whole file's bytes: strict and scan mode, then
// every tensor read element by element.
#include "formats/torch_checkpoint.h"
#include "fuzz_support.h"

namespace {

void load(const uint8_t* data, size_t size, bool scan) {
  vit::TorchLoadOptions options;
  options.scan = scan;
  const vit::TorchCheckpoint checkpoint = vit::read_torch_checkpoint(vit::fuzz::view_of(data, size), "fuzz.pt", options);
  if (!scan && !checkpoint.refused_globals.empty()) __builtin_trap();
  vit::fuzz::PickleWalker().walk(checkpoint.value);
  if (checkpoint.value.is_dict())
    for (const auto& [name, tensor] : vit::tensor_entries(checkpoint.value, "fuzz.pt")) vit::fuzz::touch_tensor(tensor, name);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vit::fuzz::run_one([&] { load(data, size, false); });
  return vit::fuzz::run_one([&] { load(data, size, true); });
}
