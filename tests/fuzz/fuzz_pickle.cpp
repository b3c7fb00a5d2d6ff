// Restricted unpickler: every opcode of protocols 0-5, strict and scan mode, and the value
// tree's accessors.
#include "formats/pickle_reader.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const vit::ByteView bytes = vit::fuzz::view_of(data, size);
  vit::fuzz::run_one([&] { vit::fuzz::PickleWalker().walk(vit::read_pickle(bytes, "fuzz.pkl")); });
  return vit::fuzz::run_one([&] {
    vit::Unpickler unpickler(bytes, "fuzz.pkl");
    unpickler.set_scan_mode(true);
    // Several pickles back to back, as the legacy torch format stores them.
    for (int i = 0; i < 4 && unpickler.position() < size; ++i) vit::fuzz::PickleWalker().walk(unpickler.load());
    (void)unpickler.refused_globals();
  });
}
