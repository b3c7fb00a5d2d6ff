#include "image_list.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace vit {

namespace {

bool has_image_extension(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* known : {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tga", ".psd", ".pnm", ".ppm", ".pgm"})
    if (ext == known) return true;
  return false;
}

// Each line is one path, kept exactly (a name may end in spaces); only the line ending goes.
void read_image_list(const std::string& list_path, std::vector<std::string>* images, std::vector<std::string>* errors) {
  std::ifstream list(list_path);
  if (!list) {
    errors->push_back(list_path + ": cannot read the image list");
    return;
  }
  for (std::string line; std::getline(list, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty() && line[0] != '#') images->push_back(line);
  }
}

// Every entry named like an image except folders. A broken one (a dangling link, a link loop,
// a FIFO) stays in the list, so that loading it reports it on a line of its own.
void list_folder(const std::string& folder, std::vector<std::string>* images, std::vector<std::string>* errors) {
  std::vector<std::string> found;
  std::error_code error;
  for (fs::directory_iterator it(folder, error), end; !error && it != end; it.increment(error)) {
    std::error_code ignored;  // an entry that cannot be examined is no folder
    if (has_image_extension(it->path()) && !it->is_directory(ignored)) found.push_back(it->path().string());
  }
  if (error) errors->push_back(folder + ": cannot list the folder: " + error.message());
  std::sort(found.begin(), found.end());
  images->insert(images->end(), found.begin(), found.end());
}

}  // namespace

std::vector<std::string> expand_image_arguments(const std::vector<std::string>& arguments,
                                                std::vector<std::string>* errors) {
  std::vector<std::string> images;
  for (const std::string& arg : arguments) {
    std::error_code not_a_folder;  // a loop or a missing path: loading it says what is wrong
    if (!arg.empty() && arg[0] == '@') read_image_list(arg.substr(1), &images, errors);
    else if (fs::is_directory(arg, not_a_folder)) list_folder(arg, &images, errors);
    else images.push_back(arg);
  }
  return images;
}

}  // namespace vit
