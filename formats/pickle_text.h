// Decoding of the text and variable-length number forms of pickle opcodes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace vit::pickle_text {

// Parses an optionally signed decimal integer (Python int() of an INT/LONG line, without the
// trailing 'L'). Returns false when the text is not a decimal integer.
// On success either fits (true) and *value is set, or does not and *decimal holds the
// canonical decimal text (sign, no leading zeros).
bool parse_decimal(const std::string& text, bool* fits, int64_t* value, std::string* decimal);

// A little-endian two's complement integer of n bytes (LONG1/LONG4 payload) in decimal.
std::string twos_complement_to_decimal(const uint8_t* bytes, size_t n);
// The same for n <= 8, sign-extended.
int64_t twos_complement_to_int64(const uint8_t* bytes, size_t n);

// Python float() of a FLOAT line ("1.5", "1e-05", "inf", "-nan"); false when malformed.
bool parse_float(const std::string& text, double* value);

// The body of a protocol-0 STRING line: a quoted Python bytes literal with escapes.
// Returns false when it is not one.
bool unescape_string_literal(const std::string& line, std::string* out);

// A protocol-0 UNICODE line (raw-unicode-escape: \uXXXX, \UXXXXXXXX, else latin-1) to UTF-8.
bool decode_raw_unicode_escape(const std::string& line, std::string* out);

// File-controlled text made safe for a one-line message: printable ASCII, other bytes as
// \xNN, at most 200 characters.
std::string printable(const std::string& text);

void append_utf8(std::string* out, uint32_t code_point);
// UTF-8 text to latin-1 bytes; false when a character is above U+00FF or the text is malformed.
bool utf8_to_latin1(const std::string& text, std::string* out);

}  // namespace vit::pickle_text
