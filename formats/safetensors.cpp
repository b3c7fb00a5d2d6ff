#include "safetensors.h"

#include <algorithm>
#include <limits>
#include <set>

#include <nlohmann/json.hpp>

#include "error.h"
#include "le_bytes.h"
#include "mapped_file.h"
#include "quoted_name.h"

namespace vit {

namespace {

constexpr size_t kLengthBytes = 8;

// Parses the header, refusing duplicate keys in any object (nlohmann would keep one silently).
nlohmann::json parse_header_json(const uint8_t* begin, const uint8_t* end, const std::string& where) {
  std::vector<std::set<std::string>> open_objects;
  std::string duplicate;
  bool has_duplicate = false;
  auto callback = [&](int, nlohmann::json::parse_event_t event, nlohmann::json& value) {
    switch (event) {
      case nlohmann::json::parse_event_t::object_start:
        open_objects.emplace_back();
        break;
      case nlohmann::json::parse_event_t::object_end:
        if (!open_objects.empty()) open_objects.pop_back();
        break;
      case nlohmann::json::parse_event_t::key:
        if (!open_objects.empty() && !open_objects.back().insert(value.get<std::string>()).second && !has_duplicate) {
          has_duplicate = true;
          duplicate = value.get<std::string>();
        }
        break;
      default:
        break;
    }
    return true;
  };
  nlohmann::json header = nlohmann::json::parse(begin, end, callback, /*allow_exceptions=*/false);
  if (header.is_discarded()) fail(where, "safetensors header is not valid JSON (or not valid UTF-8)");
  if (has_duplicate) fail(where, "safetensors header has the key " + quoted_name(duplicate) + " twice");
  return header;
}

uint64_t non_negative_int(const nlohmann::json& v, const std::string& where, const std::string& what) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer()) fail(where, what + " is negative");
  fail(where, what + " is not an integer");
}

struct Layout {
  std::string name;
  StoredTensor tensor;
  uint64_t begin = 0;
  uint64_t end = 0;
};

Layout parse_entry(const std::string& name, const nlohmann::json& info, const std::string& where,
                   const SafetensorsLimits& limits) {
  const std::string tensor = "tensor " + quoted_name(name);
  if (!info.is_object()) fail(where, tensor + ": entry is not a JSON object");
  for (const auto& field : info.items())
    if (field.key() != "dtype" && field.key() != "shape" && field.key() != "data_offsets")
      fail(where, tensor + ": unexpected field " + quoted_name(field.key()));
  if (!info.contains("dtype") || !info.contains("shape") || !info.contains("data_offsets"))
    fail(where, tensor + ": entry needs dtype, shape and data_offsets");

  Layout layout;
  layout.name = name;
  const nlohmann::json& dtype = info["dtype"];
  if (!dtype.is_string()) fail(where, tensor + ": dtype is not a string");
  if (!dtype_from_name(dtype.get<std::string>(), &layout.tensor.dtype))
    fail(where, tensor + ": unsupported dtype " + quoted_name(dtype.get<std::string>()));

  const nlohmann::json& shape = info["shape"];
  if (!shape.is_array()) fail(where, tensor + ": shape is not an array");
  if (shape.size() > limits.max_rank)
    fail(where, tensor + ": rank " + std::to_string(shape.size()) + " exceeds the limit of " +
                    std::to_string(limits.max_rank));
  uint64_t bytes = dtype_size(layout.tensor.dtype);
  for (const nlohmann::json& d : shape) {
    const uint64_t dim = non_negative_int(d, where, tensor + ": a dimension");
    if (dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
        (dim != 0 && bytes > std::numeric_limits<uint64_t>::max() / dim))
      fail(where, tensor + ": shape is too large");
    bytes *= dim;
    layout.tensor.shape.push_back(static_cast<int64_t>(dim));
  }
  layout.tensor.strides = contiguous_strides(layout.tensor.shape);

  const nlohmann::json& offsets = info["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2) fail(where, tensor + ": data_offsets is not a pair");
  layout.begin = non_negative_int(offsets[0], where, tensor + ": data_offsets[0]");
  layout.end = non_negative_int(offsets[1], where, tensor + ": data_offsets[1]");
  if (layout.end < layout.begin) fail(where, tensor + ": data_offsets end before they begin");
  if (layout.end - layout.begin != bytes)
    fail(where, tensor + ": shape " + layout.tensor.shape_string() + " of " + dtype_name(layout.tensor.dtype) +
                    " needs " + std::to_string(bytes) + " bytes but data_offsets span " +
                    std::to_string(layout.end - layout.begin));
  return layout;
}

std::map<std::string, std::string> parse_metadata(const nlohmann::json& value, const std::string& where) {
  if (!value.is_object()) fail(where, "__metadata__ is not a JSON object");
  std::map<std::string, std::string> metadata;
  for (const auto& item : value.items()) {
    if (!item.value().is_string())
      fail(where, "__metadata__ value for " + quoted_name(item.key()) + " is not a string");
    metadata[item.key()] = item.value().get<std::string>();
  }
  return metadata;
}

}  // namespace

SafetensorsFile SafetensorsFile::open(const std::string& path, const SafetensorsLimits& limits) {
  return parse(map_file(path), path, limits);
}

SafetensorsFile SafetensorsFile::parse(ByteView file, const std::string& where, const SafetensorsLimits& limits) {
  if (file.size < kLengthBytes) fail(where, "too small to be a safetensors file");
  const uint64_t header_len = load_le64(file.data);
  if (header_len > limits.max_header_bytes)
    fail(where, "safetensors header length " + std::to_string(header_len) + " exceeds the limit of " +
                    std::to_string(limits.max_header_bytes));
  if (header_len > file.size - kLengthBytes)
    fail(where, "safetensors header length " + std::to_string(header_len) + " runs past the end of the file (" +
                    std::to_string(file.size) + " bytes)");
  const uint8_t* header_begin = file.data + kLengthBytes;
  if (header_len == 0 || header_begin[0] != '{') fail(where, "safetensors header does not start with '{'");
  const nlohmann::json header = parse_header_json(header_begin, header_begin + header_len, where);
  if (!header.is_object()) fail(where, "safetensors header is not a JSON object");

  SafetensorsFile result;
  std::vector<Layout> layouts;
  for (const auto& item : header.items()) {
    if (item.key() == "__metadata__") {
      result.metadata_ = parse_metadata(item.value(), where);
      continue;
    }
    if (layouts.size() == limits.max_tensors)
      fail(where, "more than " + std::to_string(limits.max_tensors) + " tensors");
    layouts.push_back(parse_entry(item.key(), item.value(), where, limits));
  }

  // Sorted by offsets, the tensors must tile the data buffer from 0 with no holes or overlaps.
  std::sort(layouts.begin(), layouts.end(), [](const Layout& a, const Layout& b) {
    if (a.begin != b.begin) return a.begin < b.begin;
    if (a.end != b.end) return a.end < b.end;
    return a.name < b.name;
  });
  uint64_t covered = 0;
  for (const Layout& l : layouts) {
    if (l.begin != covered)
      fail(where, "tensor " + quoted_name(l.name) + ": data_offsets [" + std::to_string(l.begin) + ", " +
                      std::to_string(l.end) + ") " + (l.begin < covered ? "overlap the previous tensor" : "leave a hole") +
                      " (expected to start at " + std::to_string(covered) + ")");
    covered = l.end;
  }
  const uint64_t data_start = kLengthBytes + header_len;
  const uint64_t data_size = file.size - data_start;
  if (covered > data_size)
    fail(where, "tensor data needs " + std::to_string(covered) + " bytes but the file holds " +
                    std::to_string(data_size) + " after the header");
  if (covered < data_size)
    fail(where, std::to_string(data_size - covered) + " trailing bytes after the tensor data");

  result.tensors_.reserve(layouts.size());
  for (Layout& l : layouts) {
    l.tensor.storage = file.slice(data_start + l.begin, l.end - l.begin, where);
    result.index_.emplace(l.name, result.tensors_.size());
    result.tensors_.emplace_back(std::move(l.name), std::move(l.tensor));
  }
  return result;
}

const StoredTensor* SafetensorsFile::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second].second;
}

}  // namespace vit
