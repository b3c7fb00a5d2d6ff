// Reads a JSON document from a file with a size limit and a one-line error on bad input.
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

}  // namespace vit
