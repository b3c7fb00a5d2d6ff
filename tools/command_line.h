// A small command-line reader shared by the tools: --flag value, --flag=value, switches,
// positional arguments; unknown flags are errors. Each tool's usage text is checked against
// the flags it accepts, so --help always lists exactly the flags the parser knows.
#pragma once
#include <map>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "formats/error.h"

namespace vit {

class CommandLine {
 public:
  // `usage`: the tool's --help text. `with_value`: flags that take a value (may repeat);
  // `switches`: flags that do not. --help and -h are always accepted. A flag missing from
  // `usage`, or a --flag in `usage` the tool does not accept, is a programming error: it
  // throws std::logic_error, so each tool's --help test catches it.
  CommandLine(int argc, char** argv, const std::string& usage, const std::set<std::string>& with_value,
              std::set<std::string> switches) {
    switches.insert("--help");
    check_usage(usage, with_value, switches);
    for (int i = 1; i < argc; ++i) {
      std::string arg = argv[i];
      if (arg == "-h") arg = "--help";
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
      if (switches.count(arg) && inline_value) fail("", arg + " takes no value");
      if (switches.count(arg)) {
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

  bool help() const { return has("--help"); }
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
  static void check_usage(const std::string& usage, const std::set<std::string>& with_value,
                          const std::set<std::string>& switches) {
    static const std::regex flag_pattern("--[A-Za-z0-9][A-Za-z0-9_-]*");
    std::set<std::string> mentioned;
    for (std::sregex_iterator it(usage.begin(), usage.end(), flag_pattern), end; it != end; ++it)
      mentioned.insert(it->str());
    std::set<std::string> accepted = with_value;
    accepted.insert(switches.begin(), switches.end());
    for (const std::string& flag : accepted)
      if (!mentioned.count(flag)) throw std::logic_error("the usage text does not mention " + flag);
    for (const std::string& flag : mentioned)
      if (!accepted.count(flag)) throw std::logic_error("the usage text mentions " + flag + ", which is not accepted");
  }

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
