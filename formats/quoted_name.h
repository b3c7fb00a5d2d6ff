// Quotes a name read from a file for an error message: control bytes escaped, length capped,
// so the message stays one readable line.
#pragma once
#include <string>

namespace vit {

std::string quoted_name(const std::string& name);

}  // namespace vit
