// A small command-line reader shared by the tools: --flag value, --flag=value, switches,
// positional arguments; unknown flags are errors.
#pragma once
#include <map>
#include <set>
#include <string>
#include <vector>

#include "formats/error.h"

namespace vit {

class CommandLine {
 public:
  // `with_value`: flags that take a value (may repeat); `switches`: flags that do not.
  CommandLine(int argc, char** argv, const std::set<std::string>& with_value, const std::set<std::string>& switches) {
    for (int i = 1; i < argc; ++i) {
      std::string arg = argv[i];
      if (arg.size() < 2 || arg.compare(0, 2, "--") != 0 || arg == "--") {
        positional_.push_back(arg);
        continue;
      }
      std::string value;
      const size_t eq = arg.find('=');
      const bool inline_value = eq != std::string::npos;
      if (inline_value) {
        value = arg.substr(eq + 1);
        arg = arg.substr(0, eq);
      }
      if (switches.count(arg) && !inline_value) {
        values_[arg].push_back("1");
      } else if (with_value.count(arg)) {
        if (!inline_value) {
          if (i + 1 >= argc) fail("", arg + " needs a value");
          value = argv[++i];
        }
        values_[arg].push_back(value);
      } else {
        fail("", "unknown option " + arg + " (see --help)");
      }
    }
  }

  bool has(const std::string& flag) const { return values_.count(flag) > 0; }
  std::string get(const std::string& flag, const std::string& fallback = "") const {
    auto it = values_.find(flag);
    return it == values_.end() ? fallback : it->second.back();
  }
  std::vector<std::string> all(const std::string& flag) const {
    auto it = values_.find(flag);
    return it == values_.end() ? std::vector<std::string>{} : it->second;
  }
  int get_int(const std::string& flag, int fallback) const {
    return get_number(flag, fallback, [](const std::string& t, size_t* used) { return std::stoi(t, used); }, "an integer");
  }
  double get_double(const std::string& flag, double fallback) const {
    return get_number(flag, fallback, [](const std::string& t, size_t* used) { return std::stod(t, used); }, "a number");
  }
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  template <typename T, typename Parse>
  T get_number(const std::string& flag, T fallback, Parse parse, const char* what) const {
    if (!has(flag)) return fallback;
    const std::string text = get(flag);
    try {
      size_t used = 0;
      T value = parse(text, &used);
      if (used == text.size()) return value;
    } catch (const std::exception&) {
    }
    fail("", flag + " needs " + what + ", got \"" + text + "\"");
  }

  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positional_;
};

}  // namespace vit
