// vitimport --check from a file's bytes: scan-mode torch loading or safetensors parsing, the
// structure walk, the NaN/Inf scan and the overlap checks, then the printed report.
#include <sstream>

#include "fuzz_support.h"
#include "importer/checkpoint_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return vit::fuzz::run_one([&] {
    const vit::CheckReport report = vit::check_checkpoint_bytes(vit::fuzz::view_of(data, size), "fuzz.bin");
    std::ostringstream out;
    vit::print_check_report(report, out);
  });
}
