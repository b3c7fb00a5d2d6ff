// ZIP reader: central directory, local headers, zip64, stored and deflated entries.
#include "formats/zip_reader.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return vit::fuzz::run_one([&] {
    (void)vit::looks_like_zip(vit::fuzz::view_of(data, size));
    const vit::ZipArchive zip = vit::ZipArchive::open(vit::fuzz::view_of(data, size), "fuzz.zip");
    for (const vit::ZipEntry& entry : zip.entries()) {
      if (zip.find(entry.name) == nullptr) __builtin_trap();  // every listed name must be found
      const vit::ByteView bytes = zip.read(entry);
      if (bytes.size != entry.uncompressed_size) __builtin_trap();
      volatile uint8_t sink = 0;
      for (size_t i = 0; i < bytes.size; i += 4096) sink = sink + bytes.data[i];
      if (bytes.size) sink = sink + bytes.data[bytes.size - 1];
    }
  });
}
