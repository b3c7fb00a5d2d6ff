// .npz: a ZIP of .npy members, read through read_npz (which takes a path: an in-memory file).
#include "formats/npz.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static vit::fuzz::MemoryFile file;
  const std::string path = file.hold(data, size);
  return vit::fuzz::run_one([&] {
    for (const auto& [name, array] : vit::read_npz(path)) vit::fuzz::touch_tensor(array.tensor(), name);
  });
}
