#include "json_file.h"

#include "atomic_file.h"
#include "error.h"
#include "mapped_file.h"

namespace vit {

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

}  // namespace vit
