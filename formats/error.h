// The one exception type of the project: a message that names the file and the problem.
#pragma once
#include <stdexcept>
#include <string>

namespace vit {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// A long operation stopped because its caller asked it to (a progress callback said stop).
class Aborted : public Error {
 public:
  using Error::Error;
};

// Throws Error("<where>: <what>"), the one-line form every tool prints.
[[noreturn]] inline void fail(const std::string& where, const std::string& what) {
  throw Error(where.empty() ? what : where + ": " + what);
}

}  // namespace vit
