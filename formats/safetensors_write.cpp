#include <algorithm>
#include <limits>

#include <nlohmann/json.hpp>

#include "atomic_file.h"
#include "error.h"
#include "le_bytes.h"
#include "quoted_name.h"
#include "safetensors.h"

namespace vit {

namespace {

uint64_t entry_bytes(const SafetensorsEntry& e, const std::string& where) {
  const std::string tensor = "tensor " + quoted_name(e.name);
  if (e.shape.size() > SafetensorsLimits{}.max_rank)
    fail(where, tensor + ": rank " + std::to_string(e.shape.size()) + " exceeds the limit of " +
                    std::to_string(SafetensorsLimits{}.max_rank));
  uint64_t bytes = dtype_size(e.dtype);
  for (int64_t d : e.shape) {
    if (d < 0) fail(where, tensor + ": negative dimension in shape");
    if (d != 0 && bytes > std::numeric_limits<uint64_t>::max() / static_cast<uint64_t>(d))
      fail(where, tensor + ": shape is too large");
    bytes *= static_cast<uint64_t>(d);
  }
  if (bytes != e.bytes)
    fail(where, tensor + ": shape x " + dtype_name(e.dtype) + " needs " + std::to_string(bytes) +
                    " bytes but the entry has " + std::to_string(e.bytes));
  if (bytes != 0 && e.data == nullptr) fail(where, tensor + ": no data");
  return bytes;
}

}  // namespace

void write_safetensors(const std::string& path, std::vector<SafetensorsEntry> entries,
                       const std::map<std::string, std::string>& metadata, size_t data_alignment) {
  if (data_alignment == 0 || data_alignment % 8 != 0) fail(path, "data alignment must be a multiple of 8");
  std::sort(entries.begin(), entries.end(),
            [](const SafetensorsEntry& a, const SafetensorsEntry& b) { return a.name < b.name; });
  // nlohmann::json keeps object keys sorted, so the header is deterministic.
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    const SafetensorsEntry& e = entries[i];
    if (e.name == "__metadata__") fail(path, "\"__metadata__\" is reserved and cannot name a tensor");
    if (i > 0 && entries[i - 1].name == e.name) fail(path, "duplicate tensor name " + quoted_name(e.name));
    const uint64_t bytes = entry_bytes(e, path);
    header[e.name] = {{"dtype", dtype_name(e.dtype)}, {"shape", e.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const nlohmann::json::exception&) {
    fail(path, "a tensor name or metadata string is not valid UTF-8");
  }
  uint8_t length[8];
  text.append((data_alignment - (sizeof(length) + text.size()) % data_alignment) % data_alignment, ' ');
  store_le64(length, text.size());
  write_file_atomically(path, [&](const auto& write) {
    write(length, sizeof(length));
    write(text.data(), text.size());
    for (const SafetensorsEntry& e : entries)
      if (e.bytes) write(e.data, e.bytes);
  });
}

}  // namespace vit
