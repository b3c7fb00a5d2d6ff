// The header of a .npy file: a Python dict literal with exactly the keys descr,
// fortran_order and shape, parsed strictly (no eval).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace vit {

struct NpyHeader {
  std::string descr;  // e.g. "<f4"
  bool fortran_order = false;
  std::vector<int64_t> shape;
};

constexpr size_t kMaxNpyRank = 32;  // numpy's own limit

// Throws Error("<where>: ...") on anything but a well-formed dict with the three keys.
NpyHeader parse_npy_header(const std::string& text, const std::string& where);
// The dict literal numpy writes, e.g. "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }".
std::string format_npy_header(const NpyHeader& header);

}  // namespace vit
