#include "serve/request_images.h"

#include <algorithm>
#include <cctype>

#include "serve/http_error.h"

namespace vit::serve {

namespace {

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// Empty (undeclared), image/*, application/octet-stream, and the form type curl --data-binary
// declares unless told otherwise, may hold an image.
void check_content_type(const std::string& declared, const std::string& what) {
  const std::string type = lower(declared.substr(0, declared.find(';')));
  if (type.empty() || type.rfind("image/", 0) == 0 || type == "application/octet-stream" ||
      type == "application/x-www-form-urlencoded")
    return;
  throw HttpError(415, what + " has Content-Type " + type + ", not an image (send image bytes or image/*)");
}

}  // namespace

std::vector<ImageBytes> request_images(const httplib::Request& req) {
  std::vector<ImageBytes> images;
  if (req.is_multipart_form_data()) {
    const auto range = req.files.equal_range("image");
    for (auto it = range.first; it != range.second; ++it) {
      const std::string name = it->second.filename.empty() ? "image " + std::to_string(images.size() + 1)
                                                            : it->second.filename;
      check_content_type(it->second.content_type, "part \"" + name + "\"");
      if (it->second.content.empty()) throw HttpError(400, "part \"" + name + "\" is empty");
      images.push_back({&it->second.content, name});
    }
    if (images.empty()) throw HttpError(400, "the multipart body has no part named \"image\"");
    return images;
  }
  check_content_type(req.get_header_value("Content-Type"), "the body");
  if (req.body.empty()) throw HttpError(400, "the body is empty: send image bytes or multipart \"image\" parts");
  images.push_back({&req.body, "image 1"});
  return images;
}

int topk_parameter(const httplib::Request& req, int max_k) {
  const int fallback = std::min(5, max_k);
  if (!req.has_param("topk")) return fallback;
  const std::string text = req.get_param_value("topk");
  size_t used = 0;
  int k = 0;
  try {
    k = std::stoi(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || k < 1 || k > max_k)
    throw HttpError(400, "topk must be an integer from 1 to " + std::to_string(max_k) + ", got \"" + text + "\"");
  return k;
}

}  // namespace vit::serve
