#include "json_file.h"

#include <climits>
#include <cmath>

#include "atomic_file.h"
#include "error.h"
#include "mapped_file.h"
#include "quoted_name.h"

namespace vit {

namespace {

// The offending value for an error message: numbers and literals as written, strings quoted
// and capped, containers by kind, so the message stays one short line.
std::string shown(const nlohmann::json& value) {
  if (value.is_string()) return quoted_name(value.get<std::string>());
  if (value.is_array()) return "an array";
  if (value.is_object()) return "an object";
  return value.dump();
}

[[noreturn]] void fail_type(const nlohmann::json& value, const std::string& where, const char* expected) {
  fail(where, std::string("must be ") + expected + ", got " + shown(value));
}

}  // namespace

nlohmann::json parse_json(const std::string& text, const std::string& where) {
  nlohmann::json value = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) fail(where, "is not valid JSON");
  return value;
}

nlohmann::json read_json_file(const std::string& path, size_t max_bytes) {
  // The size is checked before the file is read, so a huge (or sparse) file costs nothing.
  return parse_json(map_file(path, MapPages::Populate, max_bytes).str(), path);
}

void write_json_file(const std::string& path, const nlohmann::json& value) {
  write_file_atomically(path, value.dump(2) + "\n");
}

bool json_is_int(const nlohmann::json& value) {
  if (value.is_number_unsigned()) return value.get<uint64_t>() <= INT_MAX;
  return value.is_number_integer() && value.get<int64_t>() >= INT_MIN && value.get<int64_t>() <= INT_MAX;
}

template <>
int json_as<int>(const nlohmann::json& value, const std::string& where) {
  if (!json_is_int(value)) fail_type(value, where, "a 32-bit integer");
  return value.get<int>();
}

template <>
double json_as<double>(const nlohmann::json& value, const std::string& where) {
  if (!value.is_number() || !std::isfinite(value.get<double>())) fail_type(value, where, "a finite number");
  return value.get<double>();
}

template <>
bool json_as<bool>(const nlohmann::json& value, const std::string& where) {
  if (!value.is_boolean()) fail_type(value, where, "true or false");
  return value.get<bool>();
}

template <>
std::string json_as<std::string>(const nlohmann::json& value, const std::string& where) {
  if (!value.is_string()) fail_type(value, where, "a string");
  return value.get<std::string>();
}

std::string json_key_where(const std::string& where, const std::string& key) {
  return where + ": \"" + key + "\"";
}

void fail_missing_field(const char* key, const std::string& where) {
  fail(where, std::string("missing \"") + key + "\"");
}

}  // namespace vit
