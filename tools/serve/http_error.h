// An HTTP answer other than 200, thrown by the request helpers and written as {"error": ...}.
#pragma once
#include <stdexcept>
#include <string>

namespace vit::serve {

struct HttpError : std::runtime_error {
  HttpError(int status, const std::string& message) : std::runtime_error(message), status(status) {}
  int status;
};

}  // namespace vit::serve
