// Reads a JSON document from a file with a size limit and a one-line error on bad input, and
// reads typed fields from it with range checks and errors that name the file and the key.
#pragma once
#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

namespace vit {

constexpr size_t kMaxJsonFileBytes = 64u << 20;

nlohmann::json read_json_file(const std::string& path, size_t max_bytes = kMaxJsonFileBytes);
nlohmann::json parse_json(const std::string& text, const std::string& where);
// Writes `value` pretty-printed (2-space indent) atomically.
void write_json_file(const std::string& path, const nlohmann::json& value);

// True for a JSON integer that fits an int. nlohmann's get<int>() is a plain cast: undefined
// behaviour for a float out of int's range, and 16.5 or 2^32 + 16 would silently become 16.
bool json_is_int(const nlohmann::json& value);

// One JSON value as T, or Error "<where>: must be ..., got <value>". int: an integer that fits
// (json_is_int); double: a finite number; bool: true or false; std::string: a string.
template <typename T>
T json_as(const nlohmann::json& value, const std::string& where);
template <>
int json_as<int>(const nlohmann::json& value, const std::string& where);
template <>
double json_as<double>(const nlohmann::json& value, const std::string& where);
template <>
bool json_as<bool>(const nlohmann::json& value, const std::string& where);
template <>
std::string json_as<std::string>(const nlohmann::json& value, const std::string& where);

// "<where>: \"key\"", the place of a field in error messages.
std::string json_key_where(const std::string& where, const std::string& key);
[[noreturn]] void fail_missing_field(const char* key, const std::string& where);

// The field `key` of `object` as T. Absent or null: required_field fails with
// "<where>: missing \"key\"" and optional_field returns `fallback`. The wrong type or range
// fails with "<where>: \"key\": must be ...".
template <typename T>
T required_field(const nlohmann::json& object, const char* key, const std::string& where) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) fail_missing_field(key, where);
  return json_as<T>(*it, json_key_where(where, key));
}

template <typename T>
T optional_field(const nlohmann::json& object, const char* key, T fallback, const std::string& where) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return fallback;
  return json_as<T>(*it, json_key_where(where, key));
}

}  // namespace vit
