#include "quoted_name.h"

namespace vit {

std::string quoted_name(const std::string& name) {
  constexpr size_t kMaxShown = 200;
  static const char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (size_t i = 0; i < name.size() && i < kMaxShown; ++i) {
    const unsigned char c = static_cast<unsigned char>(name[i]);
    if (c >= 0x20 && c != 0x7f && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (name.size() > kMaxShown) out += "...";
  return out + "\"";
}

}  // namespace vit
