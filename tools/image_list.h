// Expands vitrun's image arguments: files, folders (their image files, sorted) and @list.txt
// (one path per line).
#pragma once
#include <string>
#include <vector>

namespace vit {

// Unreadable folders or lists are reported through `errors` (one line each), not thrown.
std::vector<std::string> expand_image_arguments(const std::vector<std::string>& arguments,
                                                std::vector<std::string>* errors);

}  // namespace vit
