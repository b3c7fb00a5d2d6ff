// Expands vitrun's image arguments: files, folders (the entries named like images, sorted;
// not recursive) and @list.txt (one path per line, kept exactly; empty lines and lines starting
// with '#' skipped).
#pragma once
#include <string>
#include <vector>

namespace vit {

// Unreadable folders or lists are reported through `errors` (one line each), not thrown; a bad
// entry inside a folder is listed, so that loading it reports it.
std::vector<std::string> expand_image_arguments(const std::vector<std::string>& arguments,
                                                std::vector<std::string>* errors);

}  // namespace vit
