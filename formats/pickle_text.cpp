#include "pickle_text.h"

#include <cctype>
#include <cmath>
#include <limits>
#include <locale>
#include <sstream>
#include <vector>

namespace vit::pickle_text {

bool parse_decimal(const std::string& text, bool* fits, int64_t* value, std::string* decimal) {
  size_t i = 0;
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
  size_t end = text.size();
  while (end > i && (text[end - 1] == ' ' || text[end - 1] == '\t' || text[end - 1] == '\r')) --end;
  bool negative = false;
  if (i < end && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
  if (i == end) return false;
  std::string digits;
  for (size_t k = i; k < end; ++k) {
    char c = text[k];
    if (c == '_' ) continue;  // Python accepts 1_000
    if (c < '0' || c > '9') return false;
    if (digits.empty() && c == '0') continue;
    digits.push_back(c);
  }
  if (digits.empty()) digits = "0";
  // Accumulate in unsigned 64 bits; anything beyond int64 is reported as decimal text.
  uint64_t mag = 0;
  bool overflow = digits.size() > 19;
  for (size_t k = 0; !overflow && k < digits.size(); ++k) {
    uint64_t d = static_cast<uint64_t>(digits[k] - '0');
    if (mag > (std::numeric_limits<uint64_t>::max() - d) / 10) overflow = true;
    else mag = mag * 10 + d;
  }
  const uint64_t limit = negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  if (!overflow && mag <= limit) {
    *fits = true;
    *value = negative ? static_cast<int64_t>(0 - mag) : static_cast<int64_t>(mag);
  } else {
    *fits = false;
    *decimal = (negative && digits != "0" ? "-" : "") + digits;
  }
  return true;
}

std::string twos_complement_to_decimal(const uint8_t* bytes, size_t n) {
  std::vector<uint8_t> mag(bytes, bytes + n);  // little-endian magnitude after negation
  const bool negative = n > 0 && (bytes[n - 1] & 0x80);
  if (negative) {
    unsigned carry = 1;
    for (uint8_t& b : mag) {
      unsigned v = static_cast<uint8_t>(~b) + carry;
      b = static_cast<uint8_t>(v);
      carry = v >> 8;
    }
  }
  std::string digits;
  size_t top = mag.size();
  while (true) {
    while (top > 0 && mag[top - 1] == 0) --top;
    if (top == 0) break;
    unsigned rem = 0;
    for (size_t k = top; k-- > 0;) {  // divide by 10, most significant byte first
      unsigned cur = (rem << 8) | mag[k];
      mag[k] = static_cast<uint8_t>(cur / 10);
      rem = cur % 10;
    }
    digits.push_back(static_cast<char>('0' + rem));
  }
  if (digits.empty()) return "0";
  if (negative) digits.push_back('-');
  return std::string(digits.rbegin(), digits.rend());
}

int64_t twos_complement_to_int64(const uint8_t* bytes, size_t n) {
  if (n == 0) return 0;
  uint64_t v = 0;
  for (size_t k = 0; k < n; ++k) v |= static_cast<uint64_t>(bytes[k]) << (8 * k);
  if (n < 8 && (bytes[n - 1] & 0x80)) v |= ~uint64_t{0} << (8 * n);  // sign-extend
  return static_cast<int64_t>(v);
}

bool parse_float(const std::string& raw, double* value) {
  std::string text;
  for (char c : raw)
    if (c != ' ' && c != '\t' && c != '\r' && c != '_') text.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  std::string body = text;
  bool negative = false;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    negative = body[0] == '-';
    body.erase(0, 1);
  }
  if (body == "inf" || body == "infinity") {
    *value = negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    return true;
  }
  if (body == "nan") {
    *value = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (body.empty()) return false;
  for (char c : body)
    if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == '+' || c == '-')) return false;
  std::istringstream in(text);
  in.imbue(std::locale::classic());
  double v = 0;
  in >> v;
  if (in.fail() && !std::isinf(v)) return false;
  if (!in.eof() && in.peek() != std::char_traits<char>::eof()) return false;
  *value = v;
  return true;
}

namespace {
int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

bool unescape_string_literal(const std::string& raw, std::string* out) {
  std::string line = raw;
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  if (line.size() < 2 || (line[0] != '\'' && line[0] != '"') || line.back() != line[0]) return false;
  const std::string body = line.substr(1, line.size() - 2);
  out->clear();
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c != '\\') {
      out->push_back(c);
      continue;
    }
    if (++i >= body.size()) return false;  // a trailing lone backslash
    char e = body[i];
    switch (e) {
      case '\n': break;
      case '\\': out->push_back('\\'); break;
      case '\'': out->push_back('\''); break;
      case '"': out->push_back('"'); break;
      case 'a': out->push_back('\a'); break;
      case 'b': out->push_back('\b'); break;
      case 'f': out->push_back('\f'); break;
      case 'n': out->push_back('\n'); break;
      case 'r': out->push_back('\r'); break;
      case 't': out->push_back('\t'); break;
      case 'v': out->push_back('\v'); break;
      case 'x': {
        if (i + 2 >= body.size()) return false;
        int h = hex_digit(body[i + 1]), l = hex_digit(body[i + 2]);
        if (h < 0 || l < 0) return false;
        out->push_back(static_cast<char>(h * 16 + l));
        i += 2;
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          int v = e - '0';
          for (int k = 0; k < 2 && i + 1 < body.size() && body[i + 1] >= '0' && body[i + 1] <= '7'; ++k)
            v = v * 8 + (body[++i] - '0');
          out->push_back(static_cast<char>(v & 0xff));
        } else {
          out->push_back('\\');
          out->push_back(e);
        }
    }
  }
  return true;
}

std::string printable(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < 200; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\'') {
      out.push_back(static_cast<char>(c));
    } else {
      static const char hex[] = "0123456789abcdef";
      out += "\\x";
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  if (s.size() > 200) out += "...";
  return out;
}

void append_utf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool decode_raw_unicode_escape(const std::string& line, std::string* out) {
  out->clear();
  for (size_t i = 0; i < line.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(line[i]);
    if (c == '\\' && i + 1 < line.size() && (line[i + 1] == 'u' || line[i + 1] == 'U')) {
      const size_t digits = line[i + 1] == 'u' ? 4 : 8;
      if (i + 2 + digits > line.size()) return false;
      uint32_t cp = 0;
      for (size_t k = 0; k < digits; ++k) {
        int h = hex_digit(line[i + 2 + k]);
        if (h < 0) return false;
        cp = cp * 16 + static_cast<uint32_t>(h);
      }
      if (cp > 0x10FFFF) return false;
      append_utf8(out, cp);
      i += 1 + digits;
    } else {
      append_utf8(out, c);
    }
  }
  return true;
}

bool utf8_to_latin1(const std::string& text, std::string* out) {
  out->clear();
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      out->push_back(static_cast<char>(c));
    } else if ((c & 0xE0) == 0xC0 && i + 1 < text.size()) {
      unsigned char d = static_cast<unsigned char>(text[++i]);
      if ((d & 0xC0) != 0x80) return false;
      uint32_t cp = ((c & 0x1Fu) << 6) | (d & 0x3Fu);
      if (cp > 0xFF) return false;
      out->push_back(static_cast<char>(cp));
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace vit::pickle_text
