#include "pickle_outline.h"

#include <cstdio>
#include <cstdlib>

#include "pickle_text.h"

namespace vit {

namespace {

std::string float_repr(double v) {
  if (v != v) return "nan";
  if (v == 1.0 / 0.0) return "inf";
  if (v == -1.0 / 0.0) return "-inf";
  char buf[40];
  for (int precision = 1; precision <= 17; ++precision) {  // shortest text that reads back exactly
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  std::string s = buf;
  if (s.find_first_of(".en") == std::string::npos) s += ".0";
  return s;
}

std::string quoted(const std::string& s, const char* prefix = "") {
  return std::string(prefix) + "'" + pickle_text::printable(s) + "'";
}

class Repr {
 public:
  explicit Repr(size_t max_chars) : max_(max_chars) {}

  void value(const PickleValue& v, size_t depth) {
    if (full()) return;
    if (depth > 16) return add("...");
    switch (v.kind()) {
      case PickleKind::None: return add("None");
      case PickleKind::Bool: return add(v.as_bool() ? "True" : "False");
      case PickleKind::Int: return add(std::to_string(v.as_int()));
      case PickleKind::BigInt: return add(v.big_int_text());
      case PickleKind::Float: return add(float_repr(v.as_float()));
      case PickleKind::Str: return add(quoted(v.as_str()));
      case PickleKind::Bytes: return add(quoted(v.as_bytes(), "b"));
      case PickleKind::Tuple: return sequence(v, "(", v.size() == 1 ? ",)" : ")", depth);
      case PickleKind::List: return sequence(v, "[", "]", depth);
      case PickleKind::Set: return sequence(v, "{", "}", depth);
      case PickleKind::Dict: return dict(v, depth);
      case PickleKind::Global: return add(std::string(v.refused() ? "<REFUSED " : "<global ") + v.qualified_name() + ">");
      case PickleKind::Object: return object(v, depth);
      case PickleKind::Storage:
        return add(std::string("storage(") + dtype_name(v.tensor().dtype) + ", " + std::to_string(v.tensor().numel()) + ")");
      case PickleKind::Tensor:
        return add(std::string("tensor(") + dtype_name(v.tensor().dtype) + " " + v.tensor().shape_string() + ")");
    }
  }

  std::string text() const { return full() ? out_.substr(0, max_) + "..." : out_; }

 private:
  bool full() const { return out_.size() > max_; }
  void add(const std::string& s) { out_ += s; }

  void sequence(const PickleValue& v, const char* open, const char* close, size_t depth) {
    add(open);
    size_t i = 0;
    for (const PickleValue& item : v.items()) {
      if (full()) return;
      if (i++) add(", ");
      value(item, depth + 1);
    }
    add(close);
  }

  void dict(const PickleValue& v, size_t depth) {
    add("{");
    size_t i = 0;
    for (const auto& [k, item] : v.entries()) {
      if (full()) return;
      if (i++) add(", ");
      value(k, depth + 1);
      add(": ");
      value(item, depth + 1);
    }
    add("}");
  }

  // <argparse.Namespace lr=0.1, name='x'> for attribute states, else <cls(args)>.
  void object(const PickleValue& v, size_t depth) {
    add(std::string("<") + (v.refused() ? "REFUSED " : "") + v.qualified_name());
    PickleValue state = v.state();
    if (v.object_args().size() > 0 || !state.is_dict()) {
      add("(");
      size_t i = 0;
      for (const PickleValue& a : v.object_args().items()) {
        if (full()) return;
        if (i++) add(", ");
        value(a, depth + 1);
      }
      add(")");
    }
    if (state.is_dict()) {
      size_t i = 0;
      for (const auto& [k, item] : state.entries()) {
        if (full()) return;
        add(i++ ? ", " : " ");
        if (k.is_str()) add(pickle_text::printable(k.as_str()));
        else value(k, depth + 1);
        add("=");
        value(item, depth + 1);
      }
    } else if (!state.is_none()) {
      add(" state=");
      value(state, depth + 1);
    }
    add(">");
  }

  size_t max_;
  std::string out_;
};

bool holds_structure(const PickleValue& v) {
  if (v.is_dict()) return v.size() > 0;
  if (v.kind() != PickleKind::List && v.kind() != PickleKind::Tuple) return false;
  for (const PickleValue& item : v.items())
    if (item.is_dict() || item.is_tensor()) return true;
  return false;
}

std::string key_text(const PickleValue& k) {
  if (k.is_str()) return pickle_text::printable(k.as_str());
  return pickle_repr(k, 40);
}

class Outline {
 public:
  explicit Outline(const OutlineOptions& options) : options_(options) {}

  void walk(const std::string& path, const PickleValue& v, size_t depth) {
    if (done()) {
      dropped_ = true;
      return;
    }
    const std::string label = path.empty() ? "(root)" : path;
    const std::string prefix = path.empty() ? "" : path + "/";
    if (v.is_tensor()) return emit(label + "  " + tensor_summary(v.tensor()));
    if (depth < options_.max_depth && holds_structure(v)) {
      if (v.is_dict()) {
        for (const auto& [k, item] : v.entries()) walk(prefix + key_text(k), item, depth + 1);
      } else {
        size_t i = 0;
        for (const PickleValue& item : v.items()) walk(prefix + std::to_string(i++), item, depth + 1);
      }
      return;
    }
    if (v.kind() == PickleKind::Object && v.state().is_dict() && depth < options_.max_depth) {
      emit(label + ": <" + std::string(v.refused() ? "REFUSED " : "") + v.qualified_name() + ">");
      for (const auto& [k, item] : v.state().entries()) walk(prefix + key_text(k), item, depth + 1);
      return;
    }
    emit(label + ": " + pickle_repr(v));
  }

  std::vector<std::string> lines() {
    if (dropped_) lines_.push_back("... (cut at " + std::to_string(options_.max_lines) + " lines)");
    return std::move(lines_);
  }

 private:
  bool done() const { return lines_.size() >= options_.max_lines; }
  void emit(std::string line) {
    if (done()) dropped_ = true;
    else lines_.push_back(std::move(line));
  }

  OutlineOptions options_;
  std::vector<std::string> lines_;
  bool dropped_ = false;
};

}  // namespace

std::string pickle_repr(const PickleValue& value, size_t max_chars) {
  Repr r(max_chars);
  r.value(value, 0);
  return r.text();
}

std::vector<std::string> pickle_outline(const PickleValue& root, const OutlineOptions& options) {
  Outline o(options);
  o.walk("", root, 0);
  return o.lines();
}

std::string tensor_summary(const StoredTensor& t) {
  const uint64_t bytes = static_cast<uint64_t>(t.numel()) * dtype_size(t.dtype);
  return std::string(dtype_name(t.dtype)) + "  " + t.shape_string() + "  " + std::to_string(bytes) + " bytes" +
         (t.is_contiguous() ? "" : ", strided");
}

}  // namespace vit
