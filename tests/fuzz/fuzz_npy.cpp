// .npy: magic, version, the Python-literal header, dtype, shape and data length.
#include "formats/npy.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return vit::fuzz::run_one([&] {
    const vit::NpyArray array = vit::parse_npy(vit::fuzz::view_of(data, size), "fuzz.npy");
    vit::fuzz::touch_tensor(array.tensor(), "fuzz.npy");
  });
}
