// safetensors: header JSON, dtypes, shapes, data offsets and the data buffer's layout.
#include "formats/safetensors.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return vit::fuzz::run_one([&] {
    const vit::SafetensorsFile file = vit::SafetensorsFile::parse(vit::fuzz::view_of(data, size), "fuzz.safetensors");
    for (const auto& [name, tensor] : file.tensors()) {
      if (file.find(name) != &tensor) __builtin_trap();
      vit::fuzz::touch_tensor(tensor, name);
    }
    (void)file.metadata();
  });
}
