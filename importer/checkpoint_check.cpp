#include "importer/checkpoint_check.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "formats/error.h"
#include "formats/le_bytes.h"
#include "formats/mapped_file.h"
#include "formats/pickle_text.h"
#include "formats/quoted_name.h"
#include "formats/safetensors.h"
#include "formats/text.h"
#include "formats/torch_checkpoint.h"
#include "importer/checkpoint_source.h"

namespace fs = std::filesystem;

namespace vit {

namespace {

constexpr size_t kMaxLinesPerContainer = 8;  // structure lines for the children of one value
constexpr size_t kMaxStructureDepth = 6;
constexpr size_t kMaxStructureLines = 200;
constexpr size_t kMaxFindingsPerKind = 10;
constexpr size_t kMaxPathChars = 300;

uint64_t add_saturating(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

uint64_t tensor_bytes(const StoredTensor& t) {
  const uint64_t n = static_cast<uint64_t>(t.numel()), item = dtype_size(t.dtype);
  return n > UINT64_MAX / item ? UINT64_MAX : n * item;
}

std::string human_bytes(uint64_t n) {
  const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double v = static_cast<double>(n);
  size_t u = 0;
  while (v >= 1024.0 && u + 1 < std::size(units)) v /= 1024.0, ++u;
  char text[48];
  std::snprintf(text, sizeof text, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return text;
}

// Largest element index a validated tensor addresses (offset - 1 when it has no elements).
int64_t last_element(const StoredTensor& t) {
  if (t.numel() == 0) return t.offset - 1;
  int64_t last = t.offset;
  for (size_t i = 0; i < t.shape.size(); ++i) last += (t.shape[i] - 1) * t.strides[i];
  return last;
}

// True when some element is addressed twice (a stride-0 or overlapping view).
bool repeats_elements(const StoredTensor& t) { return t.numel() > last_element(t) - t.offset + 1; }

bool non_finite_at(DType dtype, const uint8_t* p) {
  switch (dtype) {
    case DType::F64: {
      double d;
      std::memcpy(&d, p, 8);
      return !std::isfinite(d);
    }
    case DType::F32: {
      float f;
      std::memcpy(&f, p, 4);
      return !std::isfinite(f);
    }
    case DType::F16: return (load_le16(p) & 0x7c00) == 0x7c00;
    case DType::BF16: return (load_le16(p) & 0x7f80) == 0x7f80;
    default: return false;
  }
}

// NaN/Inf among the elements a tensor addresses, walking its strides like to_float(); for a
// view that repeats elements, among the stored elements it spans instead.
size_t count_non_finite(const StoredTensor& t) {
  const int64_t n = t.numel();
  if (n == 0 || !is_floating(t.dtype)) return 0;
  if (repeats_elements(t)) {
    size_t count = 0;
    for (int64_t e = t.offset; e <= last_element(t); ++e)
      count += non_finite_at(t.dtype, t.storage.data + static_cast<size_t>(e) * dtype_size(t.dtype));
    return count;
  }
  const size_t item = dtype_size(t.dtype), rank = t.shape.size();
  std::vector<int64_t> index(rank, 0);
  int64_t element = t.offset;
  size_t count = 0;
  for (int64_t k = 0; k < n; ++k) {
    count += non_finite_at(t.dtype, t.storage.data + static_cast<size_t>(element) * item);
    for (size_t d = rank; d-- > 0;) {
      if (++index[d] < t.shape[d]) {
        element += t.strides[d];
        break;
      }
      element -= (t.shape[d] - 1) * t.strides[d];
      index[d] = 0;
    }
  }
  return count;
}

struct Found {
  std::string name;
  StoredTensor tensor;
};

// Adds `line` to `lines` unless `kind` already has kMaxFindingsPerKind lines.
class Findings {
 public:
  explicit Findings(std::vector<std::string>* lines) : lines_(lines) {}
  void add(const std::string& kind, const std::string& line) {
    size_t& n = counts_[kind];
    if (n++ < kMaxFindingsPerKind) lines_->push_back(line);
  }
  void summarize(const std::string& kind, const std::string& what) {
    const size_t n = counts_[kind];
    if (n > kMaxFindingsPerKind) lines_->push_back("... and " + std::to_string(n - kMaxFindingsPerKind) + " more " + what);
  }

 private:
  std::vector<std::string>* lines_;
  std::map<std::string, size_t> counts_;
};

// The checks on tensor data shared by every format. Names are already printable.
void check_tensors(const std::vector<Found>& tensors, CheckReport* report) {
  Findings findings(&report->suspicious);
  Findings notes(&report->structure);
  uint64_t budget = add_saturating(add_saturating(report->file_bytes, report->file_bytes), uint64_t{1} << 20);
  bool exhausted = false;
  uint64_t declared = 0;
  // Views by storage, to find overlapping ones; identical views (tied weights) count once.
  using ViewKey = std::tuple<const uint8_t*, int64_t, std::vector<int64_t>, std::vector<int64_t>>;
  std::map<ViewKey, size_t> views;
  std::map<const uint8_t*, std::vector<size_t>> by_storage;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const StoredTensor& t = tensors[i].tensor;
    const std::string name = quoted_name(tensors[i].name);
    report->tensor_count++;
    report->dtypes[dtype_name(t.dtype)]++;
    report->tensor_bytes = add_saturating(report->tensor_bytes, tensor_bytes(t));
    auto [it, fresh] = views.emplace(ViewKey{t.storage.data, t.offset, t.shape, t.strides}, i);
    if (!fresh) {
      notes.add("same", tensors[i].name + ": the same data as " + quoted_name(tensors[it->second].name));
      continue;
    }
    declared = add_saturating(declared, tensor_bytes(t));
    if (t.numel() > 0) by_storage[t.storage.data].push_back(i);
    // Broadcasts (torch's expand) are legitimate; what they could cost is judged below from
    // the total the tensors declare against the file's size.
    const int64_t span = last_element(t) - t.offset + 1;
    if (repeats_elements(t))
      notes.add("repeats", tensors[i].name + ": " + t.shape_string() + " repeats " + std::to_string(span) +
                               " stored element" + (span > 1 ? "s" : "") + " (a stride-0 or self-overlapping view)");
    if (!is_floating(t.dtype)) continue;
    const uint64_t cost = static_cast<uint64_t>(std::min(t.numel(), span));
    if (cost > budget) {
      exhausted = true;
      continue;
    }
    budget -= cost;
    if (const size_t bad = count_non_finite(t))
      findings.add("nonfinite", "tensor " + name + " has " + std::to_string(bad) + " NaN/Inf value" + (bad > 1 ? "s" : ""));
  }
  notes.summarize("same", "tensors with the same data as another");
  notes.summarize("repeats", "repeating views");
  findings.summarize("nonfinite", "tensors with NaN/Inf values");
  if (exhausted) report->suspicious.push_back("tensor views overlap too much to scan every value for NaN/Inf");

  for (auto& [storage, members] : by_storage) {
    // Byte ranges of the distinct views of one storage, by start: a start before the end of an
    // earlier range is an overlap (tensors that should be independent share values).
    std::vector<std::tuple<uint64_t, uint64_t, size_t>> ranges;
    for (size_t i : members) {
      const StoredTensor& t = tensors[i].tensor;
      const uint64_t item = dtype_size(t.dtype);
      ranges.emplace_back(t.offset * item, (last_element(t) + 1) * item, i);
    }
    std::sort(ranges.begin(), ranges.end());
    uint64_t end = 0;
    size_t owner = 0;
    for (size_t k = 0; k < ranges.size(); ++k) {
      const auto& [begin, stop, i] = ranges[k];
      if (k > 0 && begin < end)
        findings.add("overlap", "tensors " + quoted_name(tensors[owner].name) + " and " + quoted_name(tensors[i].name) +
                                    " overlap in one storage");
      if (k == 0 || stop > end) end = stop, owner = i;
    }
  }
  findings.summarize("overlap", "overlapping tensor pairs");
  if (declared > report->file_bytes)
    report->suspicious.push_back("tensors declare " + human_bytes(declared) + ", more than the file's " +
                                 human_bytes(report->file_bytes));
}

// Walks a torch.save value: collects tensors under the first path that reaches them and
// describes every other value (bounded in depth, lines per container and total lines).
class TorchWalker {
 public:
  TorchWalker(std::vector<Found>* tensors, std::vector<std::string>* lines) : tensors_(tensors), lines_(lines) {}

  // `say`: this value gets a line; its children may get lines too.
  void visit(const PickleValue& v, std::string* path, size_t depth, bool say) {
    if (v.is_tensor()) {
      if (seen_.insert(v.identity()).second) tensors_->push_back({*path, v.tensor()});
      return;
    }
    const PickleKind kind = v.kind();
    const bool container = kind == PickleKind::Dict || kind == PickleKind::Object || v.is_sequence();
    if (container && !seen_.insert(v.identity()).second) return;  // shared: described once
    if (say && depth > 0) line(*path + ": " + description(v));
    const bool describe = say && depth < kMaxStructureDepth;
    size_t described = 0;
    bool hidden = false;
    // `brief`: one line for the child, none for what it holds (torch's per-module _metadata).
    auto child = [&](const PickleValue& c, const std::string& segment, bool brief = false) {
      const size_t mark = path->size();
      if (mark < kMaxPathChars) *path += (mark == 0 && segment[0] == '.') ? segment.substr(1) : segment;
      bool tell = false;
      if (describe && !c.is_tensor()) {
        tell = described < kMaxLinesPerContainer;
        described += tell;
        hidden = hidden || !tell;
      }
      visit(c, path, brief ? kMaxStructureDepth : depth + 1, tell);
      path->resize(mark);
    };
    if (kind == PickleKind::Dict) {
      for (const auto& [key, value] : v.entries()) child(value, segment_of(key));
    } else if (v.is_sequence()) {
      size_t i = 0;
      for (const PickleValue& item : v.items()) {
        const bool scalar = !item.is_tensor() && !item.is_dict() && !item.is_sequence() && item.kind() != PickleKind::Object;
        if (!scalar) child(item, "[" + std::to_string(i) + "]");
        ++i;
      }
    } else if (kind == PickleKind::Object) {
      if (v.object_args().size() > 0) child(v.object_args(), "(args)");
      if (v.object_kwargs().is_dict()) child(v.object_kwargs(), "(kwargs)");
    }
    if (container && !v.state().is_none()) {
      if (v.state().is_dict()) {
        for (const auto& [key, value] : v.state().entries())
          child(value, segment_of(key), key.is_str() && key.as_str() == "_metadata");
      } else {
        child(v.state(), "(state)");
      }
    }
    if (hidden) line((path->empty() ? std::string("(root)") : *path) + ": ... (more entries not shown)");
  }

 private:
  static std::string segment_of(const PickleValue& key) {
    if (key.is_str()) return "." + pickle_text::printable(key.as_str());
    if (key.is_int()) return "[" + std::to_string(key.as_int()) + "]";
    return std::string("[<") + key.kind_name() + ">]";
  }

  static std::string description(const PickleValue& v) {
    switch (v.kind()) {
      case PickleKind::None: return "None";
      case PickleKind::Bool: return v.as_bool() ? "True" : "False";
      case PickleKind::Int: return "int " + std::to_string(v.as_int());
      case PickleKind::BigInt: return "int " + pickle_text::printable(v.big_int_text());
      case PickleKind::Float: {
        char text[40];
        std::snprintf(text, sizeof text, "float %.9g", v.as_float());
        return text;
      }
      case PickleKind::Str: return "str " + quoted_name(v.as_str().substr(0, 80));
      case PickleKind::Bytes: return "bytes (" + std::to_string(v.as_bytes().size()) + ")";
      case PickleKind::Tuple:
      case PickleKind::List:
      case PickleKind::Set: return std::string(v.kind_name()) + " of " + std::to_string(v.size());
      case PickleKind::Dict: return "dict of " + std::to_string(v.size());
      case PickleKind::Global:
      case PickleKind::Object:
        return std::string(v.kind() == PickleKind::Global ? "global " : "object ") +
               pickle_text::printable(v.qualified_name()) + (v.refused() ? " (refused)" : "");
      case PickleKind::Storage: return "storage of " + human_bytes(v.tensor().storage.size);
      case PickleKind::Tensor: return "tensor";
    }
    return v.kind_name();
  }

  void line(const std::string& text) {
    if (lines_->size() < kMaxStructureLines) lines_->push_back(text);
    else if (lines_->size() == kMaxStructureLines) lines_->push_back("... (more structure not shown)");
  }

  std::vector<Found>* tensors_;
  std::vector<std::string>* lines_;
  std::unordered_set<const void*> seen_;
};

void check_torch(const ByteView& bytes, const std::string& where, CheckReport* report) {
  TorchLoadOptions options;
  options.scan = true;
  TorchCheckpoint checkpoint;
  try {
    checkpoint = read_torch_checkpoint(bytes, where, options);
  } catch (const Error&) {
    // A refused global can also break the file's structure (a call where a storage belongs);
    // the strict reader's error names the global, which says more than the structural one.
    read_torch_checkpoint(bytes, where, TorchLoadOptions{});
    throw;
  }
  report->format = "torch.save " + checkpoint.format;
  for (const std::string& name : checkpoint.refused_globals)
    report->suspicious.push_back("refers to the global " + quoted_name(name) +
                                 ", which is not on the allow-list: torch.load would import and may call it");
  if (checkpoint.value.is_dict())
    for (const auto& [key, value] : checkpoint.value.entries())
      report->top_level_keys.push_back(key.is_str() ? pickle_text::printable(key.as_str()) : key.kind_name());
  std::vector<Found> tensors;
  std::string path;
  if (!checkpoint.value.is_dict()) report->structure.push_back("(root): " + std::string(checkpoint.value.kind_name()));
  TorchWalker(&tensors, &report->structure).visit(checkpoint.value, &path, 0, true);
  check_tensors(tensors, report);
}

void check_safetensors(const ByteView& bytes, const std::string& where, CheckReport* report) {
  const SafetensorsFile file = SafetensorsFile::parse(bytes, where);
  report->format = "safetensors";
  std::vector<Found> tensors;
  for (const auto& [name, tensor] : file.tensors()) {
    report->top_level_keys.push_back(pickle_text::printable(name));
    tensors.push_back({pickle_text::printable(name), tensor});
  }
  for (const auto& [key, value] : file.metadata())
    report->structure.push_back("__metadata__." + pickle_text::printable(key) + ": str " +
                                quoted_name(value.substr(0, 80)));
  check_tensors(tensors, report);
}

// safetensors starts with a little-endian header length and then the header's '{'.
bool looks_like_safetensors(const ByteView& b) {
  return b.size >= 10 && load_le64(b.data) <= b.size - 8 && b.data[8] == '{';
}

}  // namespace

CheckReport check_checkpoint_bytes(const ByteView& bytes, const std::string& where) {
  CheckReport report;
  report.path = where;
  report.file_bytes = bytes.size;
  if (ends_with(where, ".safetensors") || looks_like_safetensors(bytes))
    check_safetensors(bytes, where, &report);
  else
    check_torch(bytes, where, &report);
  return report;
}

CheckReport check_checkpoint(const std::string& path) {
  const std::string file = fs::is_directory(path) ? find_weights_in_folder(path) : path;
  return check_checkpoint_bytes(map_file(file), file);
}

void print_check_report(const CheckReport& r, std::ostream& out) {
  out << "file: " << r.path << " (" << human_bytes(r.file_bytes) << ")\n";
  out << "format: " << r.format << "\n";
  out << "tensors: " << r.tensor_count;
  const char* sep = " (";
  for (const auto& [dtype, count] : r.dtypes) out << sep << dtype << " " << count, sep = ", ";
  out << (r.dtypes.empty() ? "" : ")") << ", " << human_bytes(r.tensor_bytes) << "\n";
  constexpr size_t kShownKeys = 16;
  out << "top-level keys (" << r.top_level_keys.size() << "):";
  for (size_t i = 0; i < r.top_level_keys.size() && i < kShownKeys; ++i) out << (i ? ", " : " ") << r.top_level_keys[i];
  if (r.top_level_keys.size() > kShownKeys) out << ", ...";
  out << "\n";
  if (!r.structure.empty()) {
    out << "structure (non-tensor values):\n";
    for (const std::string& s : r.structure) out << "  " << s << "\n";
  }
  if (r.clean()) {
    out << "verdict: clean\n";
    return;
  }
  out << "suspicious:\n";
  for (const std::string& s : r.suspicious) out << "  " << s << "\n";
  out << "verdict: suspicious (" << r.suspicious.size() << " finding" << (r.suspicious.size() > 1 ? "s" : "") << ")\n";
}

}  // namespace vit
