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

}  // namespace

std::vector<std::string> expand_image_arguments(const std::vector<std::string>& arguments,
                                                std::vector<std::string>* errors) {
  std::vector<std::string> images;
  for (const std::string& arg : arguments) {
    if (!arg.empty() && arg[0] == '@') {
      std::ifstream list(arg.substr(1));
      if (!list) {
        errors->push_back(arg.substr(1) + ": cannot read the image list");
        continue;
      }
      for (std::string line; std::getline(list, line);) {
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
        if (!line.empty() && line[0] != '#') images.push_back(line);
      }
    } else if (fs::is_directory(arg)) {
      std::vector<std::string> found;
      std::error_code error;
      for (const auto& entry : fs::directory_iterator(arg, error))
        if (entry.is_regular_file() && has_image_extension(entry.path())) found.push_back(entry.path().string());
      if (error) errors->push_back(arg + ": cannot list the folder: " + error.message());
      std::sort(found.begin(), found.end());
      images.insert(images.end(), found.begin(), found.end());
    } else {
      images.push_back(arg);
    }
  }
  return images;
}

}  // namespace vit
