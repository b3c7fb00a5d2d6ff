// The images of a request, as byte ranges into it: the whole body, or each multipart/form-data
// part named "image". A declared Content-Type that is not an image is refused with 415 here;
// bytes that do not decode are found later (422).
#pragma once
#include <string>
#include <vector>

#include <httplib.h>

namespace vit::serve {

struct ImageBytes {
  const std::string* bytes;
  std::string name;  // for error messages: the part's file name, else "image N"
};

std::vector<ImageBytes> request_images(const httplib::Request& req);

// ?topk=K: an integer in 1..max_k (default min(5, max_k)); else HttpError 400.
int topk_parameter(const httplib::Request& req, int max_k);

}  // namespace vit::serve
