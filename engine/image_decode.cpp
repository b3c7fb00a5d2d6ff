#include "engine/image_decode.h"

#include <cstring>
#include <memory>

#include "formats/error.h"
#include "formats/mapped_file.h"

#define STB_IMAGE_IMPLEMENTATION
#define STBI_NO_STDIO
#define STBI_NO_HDR
#define STBI_NO_LINEAR
#define STBI_NO_PIC
#define STBI_FAILURE_USERMSG
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#include <stb/stb_image.h>
#pragma GCC diagnostic pop

namespace vit {

namespace {

// stb reads through these callbacks so that we learn whether a decoder wanted bytes past the
// end: from memory it silently reads zeros, which turns a truncated file into a half-grey
// image instead of an error. At the end we hand out one zero byte per request (never 0 bytes,
// which would make stb overwrite its first buffered byte) and remember the overrun.
struct Reader {
  const uint8_t* data;
  size_t size;
  size_t pos = 0;
  bool overran = false;

  Reader(const uint8_t* d, size_t n) : data(d), size(n) {}

  static int read(void* user, char* out, int want) {
    auto* r = static_cast<Reader*>(user);
    if (want <= 0) return 0;
    const size_t left = r->size - r->pos;
    if (left == 0) {
      r->overran = true;
      out[0] = 0;
      return 1;
    }
    const size_t n = std::min(left, static_cast<size_t>(want));
    std::memcpy(out, r->data + r->pos, n);
    r->pos += n;
    return static_cast<int>(n);
  }
  static void skip(void* user, int n) {
    auto* r = static_cast<Reader*>(user);
    if (n < 0) {  // stb only skips backwards within data it has already read
      const size_t back = static_cast<size_t>(-static_cast<int64_t>(n));
      r->pos = back > r->pos ? 0 : r->pos - back;
      return;
    }
    r->pos += std::min(static_cast<size_t>(n), r->size - r->pos);
  }
  static int eof(void* user) {
    auto* r = static_cast<Reader*>(user);
    return r->pos >= r->size;
  }
};

const stbi_io_callbacks kCallbacks{&Reader::read, &Reader::skip, &Reader::eof};

bool starts_with(const uint8_t* data, size_t size, const char* magic, size_t n) {
  return size >= n && std::memcmp(data, magic, n) == 0;
}

// The name used in messages; stb tries TGA, which has no signature, last.
const char* sniff_format(const uint8_t* data, size_t size) {
  if (starts_with(data, size, "\x89PNG\r\n\x1a\n", 8)) return "PNG";
  if (starts_with(data, size, "\xff\xd8", 2)) return "JPEG";
  if (starts_with(data, size, "GIF87a", 6) || starts_with(data, size, "GIF89a", 6)) return "GIF";
  if (starts_with(data, size, "BM", 2)) return "BMP";
  if (starts_with(data, size, "8BPS", 4)) return "PSD";
  if (starts_with(data, size, "P5", 2) || starts_with(data, size, "P6", 2)) return "PNM";
  return "TGA";
}

std::string reason() {
  const char* r = stbi_failure_reason();
  return r ? r : "unknown error";
}

std::string size_text(uint64_t w, uint64_t h) { return std::to_string(w) + "x" + std::to_string(h); }

}  // namespace

ImageInfo probe_image(const uint8_t* data, size_t size, const std::string& where) {
  if (size == 0) fail(where, "is empty, not an image");
  if (size > static_cast<size_t>(INT32_MAX)) fail(where, "is over 2 GiB, too large to decode");
  ImageInfo info;
  info.format = sniff_format(data, size);
  Reader header(data, size);
  if (!stbi_info_from_callbacks(&kCallbacks, &header, &info.width, &info.height, &info.channels)) {
    if (info.format == std::string("TGA"))
      fail(where, "is not a supported image (PNG, JPEG, BMP, GIF, TGA, PSD, binary PNM) or its header is corrupt");
    fail(where, "corrupt " + info.format + " header: " + reason());
  }
  Reader depth(data, size);
  info.sixteen_bit = stbi_is_16_bit_from_callbacks(&kCallbacks, &depth) != 0;
  return info;
}

Image decode_image(const uint8_t* data, size_t size, const std::string& where, const DecodeOptions& options) {
  const ImageInfo info = probe_image(data, size, where);
  if (info.width <= 0 || info.height <= 0)
    fail(where, info.format + " header gives an empty " + size_text(info.width, info.height) + " image");
  const uint64_t pixels = static_cast<uint64_t>(info.width) * static_cast<uint64_t>(info.height);
  if (pixels > options.max_pixels)
    fail(where, info.format + " image of " + size_text(info.width, info.height) + " = " + std::to_string(pixels) +
                    " pixels exceeds the limit of " + std::to_string(options.max_pixels) + " pixels");
  if (info.sixteen_bit) {
    if (info.format != std::string("PNG"))
      fail(where, "16-bit " + info.format + " images are not supported; convert to 8 bits per channel");
    if (info.channels == 1)
      fail(where, "16-bit grayscale PNG is not supported (Pillow's convert('RGB') clips it to 255 "
                  "instead of scaling); convert to 8 bits per channel");
  }

  Reader reader(data, size);
  int w = 0, h = 0, channels = 0;
  std::unique_ptr<stbi_uc, void (*)(void*)> decoded(
      stbi_load_from_callbacks(&kCallbacks, &reader, &w, &h, &channels, 3), stbi_image_free);
  if (!decoded) fail(where, "cannot decode " + info.format + ": " + reason());
  if (reader.overran) fail(where, "truncated " + info.format + ": the data ends before the image is complete");
  if (w != info.width || h != info.height)
    fail(where, info.format + " header says " + size_text(info.width, info.height) + " but the image decodes as " +
                    size_text(w, h));
  Image image(w, h);
  std::memcpy(image.pixels.data(), decoded.get(), image.pixels.size());
  return image;
}

Image load_image(const std::string& path, const DecodeOptions& options) {
  const ByteView bytes = map_file(path);
  return decode_image(bytes.data, bytes.size, path, options);
}

}  // namespace vit
