#include "engine/image/png_decode.h"

#include <png.h>

#include <array>
#include <cstdio>
#include <cstring>

#include "engine/image/image_decode.h"
#include "engine/image/pixel_limit.h"
#include "formats/error.h"

namespace vit {

namespace {

// libpng reports an error by calling on_png_error, which must not return: png_longjmp goes back
// to the setjmp in the function that called into libpng. Those functions (start, read_rows) and
// the callbacks hold only plain C data, so the jump skips no destructor. The message is kept
// here and thrown as an Error once the jump has landed.
struct PngSession {
  png_structp png;
  png_infop info;
  const uint8_t* data;
  size_t size;
  size_t pos;
  bool strict;  // warnings are errors once libpng is set up
  char message[256];
};

PngSession& session_of(png_structp png) { return *static_cast<PngSession*>(png_get_error_ptr(png)); }

[[noreturn]] void stop(png_structp png, const char* text) {
  PngSession& s = session_of(png);
  std::snprintf(s.message, sizeof s.message, "%s", text);
  png_longjmp(png, 1);
}

void on_png_error(png_structp png, png_const_charp text) {
  char line[sizeof PngSession::message];
  std::snprintf(line, sizeof line, "corrupt PNG: %s", text);
  stop(png, line);
}

// Only the image's own chunks are read (ancillary ones are skipped), so a warning is about the
// image data; all but one are refused. Data after the image's last row is common in the wild
// and Pillow ignores it too; libpng inflates at most one small buffer of it and stops.
void on_png_warning(png_structp png, png_const_charp text) {
  if (!session_of(png).strict || std::strstr(text, "Too much image data") || std::strstr(text, "Extra compressed data"))
    return;
  on_png_error(png, text);
}

void read_bytes(png_structp png, png_bytep out, size_t count) {
  PngSession& s = *static_cast<PngSession*>(png_get_io_ptr(png));
  if (count > s.size - s.pos) stop(png, "truncated PNG: the data ends before the image is complete");
  std::memcpy(out, s.data + s.pos, count);
  s.pos += count;
}

void configure(png_structp png) {
  png_set_user_limits(png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);  // the pixel limit is ours
  // Skip every ancillary chunk, known (-1: all but tRNS) or not, and tRNS too: none changes a
  // pixel of convert('RGB'), and unread chunks cannot fail or allocate.
  png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, nullptr, -1);
  png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, reinterpret_cast<png_const_bytep>("tRNS"), 1);
  png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, nullptr, 0);
  // A bad checksum is an error in every chunk (Pillow checks those before the image data).
  png_set_crc_action(png, PNG_CRC_ERROR_QUIT, PNG_CRC_ERROR_QUIT);
}

// Sets up libpng and reads the chunks up to the image data. False after an error.
bool start(PngSession& s) {
  s.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &s, on_png_error, on_png_warning);
  if (!s.png) {
    std::snprintf(s.message, sizeof s.message, "cannot set up the PNG decoder (out of memory)");
    return false;
  }
  if (setjmp(png_jmpbuf(s.png))) return false;
  s.info = png_create_info_struct(s.png);
  if (!s.info) png_error(s.png, "out of memory");
  configure(s.png);
  png_set_read_fn(s.png, &s, read_bytes);
  s.strict = true;
  png_read_info(s.png, s.info);
  return true;
}

// Decodes every row into `rgb` as 8-bit samples, 1 a pixel (gray, palette index) at the start
// of each width * 3 byte row, or 3 (RGB). Interlaced images pass over the rows once per pass.
bool read_rows(PngSession& s, uint8_t* rgb) {
  if (setjmp(png_jmpbuf(s.png))) return false;
  const int depth = png_get_bit_depth(s.png, s.info), type = png_get_color_type(s.png, s.info);
  if (depth == 16) png_set_strip_16(s.png);  // the high byte
  if (type == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(s.png);
  if (type == PNG_COLOR_TYPE_PALETTE && depth < 8) png_set_packing(s.png);
  if (type & PNG_COLOR_MASK_ALPHA) png_set_strip_alpha(s.png);
  const int passes = png_set_interlace_handling(s.png);
  png_read_update_info(s.png, s.info);
  const png_uint_32 width = png_get_image_width(s.png, s.info), height = png_get_image_height(s.png, s.info);
  const size_t channels = type & PNG_COLOR_MASK_COLOR && type != PNG_COLOR_TYPE_PALETTE ? 3 : 1;
  if (png_get_rowbytes(s.png, s.info) != width * channels) png_error(s.png, "unexpected row layout");
  for (int pass = 0; pass < passes; ++pass)
    for (png_uint_32 y = 0; y < height; ++y) png_read_row(s.png, rgb + size_t{y} * width * 3, nullptr);
  return true;
}

// Owns the libpng state for one file.
class PngReader {
 public:
  PngReader(const uint8_t* data, size_t size, const std::string& where) : where_(where) {
    std::memset(&s_, 0, sizeof s_);
    s_.data = data;
    s_.size = size;
    if (!start(s_)) {
      release();  // a constructor that throws runs no destructor
      fail(where_, s_.message);
    }
  }
  ~PngReader() { release(); }
  PngReader(const PngReader&) = delete;
  PngReader& operator=(const PngReader&) = delete;

  png_uint_32 width() const { return png_get_image_width(s_.png, s_.info); }
  png_uint_32 height() const { return png_get_image_height(s_.png, s_.info); }
  int depth() const { return png_get_bit_depth(s_.png, s_.info); }
  int color_type() const { return png_get_color_type(s_.png, s_.info); }
  void read(uint8_t* rgb) {
    if (!read_rows(s_, rgb)) fail(where_, s_.message);
  }
  // Pillow's palette: the PLTE's entries, then the gray (i, i, i) for every index past them.
  std::array<png_color, 256> palette() const {
    std::array<png_color, 256> out;
    for (int i = 0; i < 256; ++i) out[i] = {uint8_t(i), uint8_t(i), uint8_t(i)};
    png_colorp entries = nullptr;
    int count = 0;
    if (png_get_PLTE(s_.png, s_.info, &entries, &count) == PNG_INFO_PLTE)
      for (int i = 0; i < count && i < 256; ++i) out[i] = entries[i];
    return out;
  }

 private:
  // Frees and nulls both structs (libpng accepts null ones).
  void release() { png_destroy_read_struct(&s_.png, &s_.info, nullptr); }

  PngSession s_;
  std::string where_;
};

// One sample a pixel at the start of each row, spread to RGB from the right end backwards.
void expand_rows_in_place(Image& image, const std::array<png_color, 256>* palette) {
  for (int y = 0; y < image.height; ++y) {
    uint8_t* row = image.row(y);
    for (int x = image.width; x-- > 0;) {
      const uint8_t v = row[x];
      if (palette) {
        const png_color c = (*palette)[v];
        row[3 * x] = c.red, row[3 * x + 1] = c.green, row[3 * x + 2] = c.blue;
      } else {
        row[3 * x] = row[3 * x + 1] = row[3 * x + 2] = v;
      }
    }
  }
}

}  // namespace

bool looks_like_png(const uint8_t* data, size_t size) {
  return size >= 8 && std::memcmp(data, "\x89PNG\r\n\x1a\n", 8) == 0;
}

ImageInfo probe_png(const uint8_t* data, size_t size, const std::string& where) {
  const PngReader reader(data, size, where);
  ImageInfo info;
  info.format = "PNG";
  info.width = static_cast<int>(reader.width());
  info.height = static_cast<int>(reader.height());
  const int type = reader.color_type();
  // A palette counts as RGB, as before; alpha adds one.
  info.channels = (type & PNG_COLOR_MASK_COLOR ? 3 : 1) + (type & PNG_COLOR_MASK_ALPHA ? 1 : 0);
  info.sixteen_bit = reader.depth() == 16;
  return info;
}

Image decode_png(const uint8_t* data, size_t size, const std::string& where, uint64_t max_pixels) {
  PngReader reader(data, size, where);
  check_pixel_limit(where, "PNG", reader.width(), reader.height(), max_pixels);
  const int type = reader.color_type();
  if (type == PNG_COLOR_TYPE_GRAY && reader.depth() == 16)
    fail(where, "16-bit grayscale PNG is not supported (Pillow reads it as 32-bit integers and "
                "convert('RGB') clips them at 255 instead of scaling); convert to 8 bits per channel");
  Image image(static_cast<int>(reader.width()), static_cast<int>(reader.height()));
  reader.read(image.pixels.data());
  if (type == PNG_COLOR_TYPE_PALETTE) {
    const std::array<png_color, 256> palette = reader.palette();
    expand_rows_in_place(image, &palette);
  } else if (!(type & PNG_COLOR_MASK_COLOR)) {
    expand_rows_in_place(image, nullptr);
  }
  return image;
}

}  // namespace vit
