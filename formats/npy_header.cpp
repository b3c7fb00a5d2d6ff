#include "npy_header.h"

#include <limits>

#include "error.h"

namespace vit {

namespace {

class DictParser {
 public:
  DictParser(const std::string& text, const std::string& where) : text_(text), where_(where) {}

  NpyHeader parse() {
    NpyHeader header;
    bool seen_descr = false, seen_order = false, seen_shape = false;
    skip_space();
    expect('{');
    while (true) {
      skip_space();
      if (peek() == '}') break;
      const std::string key = parse_string();
      skip_space();
      expect(':');
      skip_space();
      if (key == "descr") {
        mark(&seen_descr, key);
        if (peek() == '[') bad("structured dtypes are not supported");
        header.descr = parse_string();
      } else if (key == "fortran_order") {
        mark(&seen_order, key);
        header.fortran_order = parse_bool();
      } else if (key == "shape") {
        mark(&seen_shape, key);
        header.shape = parse_shape();
      } else {
        bad("unexpected key '" + key + "'");
      }
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != '}') bad("expected ',' or '}'");
    }
    ++pos_;
    skip_space();
    if (pos_ != text_.size()) bad("unexpected text after the dict");
    if (!seen_descr || !seen_order || !seen_shape)
      bad("missing key '" + std::string(!seen_descr ? "descr" : !seen_order ? "fortran_order" : "shape") + "'");
    return header;
  }

 private:
  [[noreturn]] void bad(const std::string& what) const {
    fail(where_, "malformed .npy header (" + what + " at character " + std::to_string(pos_) + ")");
  }
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }
  void expect(char c) {
    if (peek() != c) bad(std::string("expected '") + c + "'");
    ++pos_;
  }
  void mark(bool* seen, const std::string& key) {
    if (*seen) bad("duplicate key '" + key + "'");
    *seen = true;
  }

  std::string parse_string() {
    const char quote = peek();
    if (quote != '\'' && quote != '"') bad("expected a quoted string");
    const size_t start = ++pos_;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      const unsigned char c = static_cast<unsigned char>(text_[pos_]);
      if (c == '\\' || c < 0x20 || c >= 0x7f) bad("unsupported character in a string");
      ++pos_;
    }
    if (pos_ >= text_.size()) bad("unterminated string");
    return text_.substr(start, pos_++ - start);
  }

  bool parse_bool() {
    if (text_.compare(pos_, 4, "True") == 0) {
      pos_ += 4;
      return true;
    }
    if (text_.compare(pos_, 5, "False") == 0) {
      pos_ += 5;
      return false;
    }
    bad("expected True or False");
  }

  int64_t parse_int() {
    if (peek() == '-') bad("negative dimension");
    if (peek() < '0' || peek() > '9') bad("expected a dimension");
    int64_t v = 0;
    while (peek() >= '0' && peek() <= '9') {
      const int digit = peek() - '0';
      if (v > (std::numeric_limits<int64_t>::max() - digit) / 10) bad("dimension is too large");
      v = v * 10 + digit;
      ++pos_;
    }
    if (peek() == 'L') ++pos_;  // Python 2 long suffix
    return v;
  }

  std::vector<int64_t> parse_shape() {
    std::vector<int64_t> shape;
    expect('(');
    skip_space();
    bool trailing_comma = false;
    while (peek() != ')') {
      if (shape.size() == kMaxNpyRank) bad("more than " + std::to_string(kMaxNpyRank) + " dimensions");
      shape.push_back(parse_int());
      skip_space();
      trailing_comma = false;
      if (peek() == ',') {
        ++pos_;
        trailing_comma = true;
        skip_space();
      } else if (peek() != ')') {
        bad("expected ',' or ')' in the shape");
      }
    }
    // "(3)" is an int in Python, not a tuple.
    if (shape.size() == 1 && !trailing_comma) bad("a one-element shape needs a trailing comma");
    ++pos_;
    return shape;
  }

  const std::string& text_;
  const std::string& where_;
  size_t pos_ = 0;
};

}  // namespace

NpyHeader parse_npy_header(const std::string& text, const std::string& where) {
  return DictParser(text, where).parse();
}

std::string format_npy_header(const NpyHeader& header) {
  std::string shape = "(";
  for (size_t i = 0; i < header.shape.size(); ++i) shape += (i ? ", " : "") + std::to_string(header.shape[i]);
  shape += header.shape.size() == 1 ? ",)" : ")";
  return "{'descr': '" + header.descr + "', 'fortran_order': " + (header.fortran_order ? "True" : "False") +
         ", 'shape': " + shape + ", }";
}

}  // namespace vit
