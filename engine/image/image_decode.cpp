#include "engine/image/image_decode.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "engine/image/gif_decode.h"
#include "engine/image/image_bmp_check.h"
#include "engine/image/jpeg_decode.h"
#include "engine/image/pillow_levels.h"
#include "engine/image/pixel_limit.h"
#include "engine/image/png_decode.h"
#include "formats/error.h"
#include "formats/le_bytes.h"
#include "formats/mapped_file.h"
#include "formats/text.h"

#define STB_IMAGE_IMPLEMENTATION
#define STBI_NO_STDIO
#define STBI_NO_HDR
#define STBI_NO_LINEAR
#define STBI_NO_PIC
#define STBI_NO_JPEG  // libjpeg-turbo (jpeg_decode.h), as in Pillow
#define STBI_NO_PNG   // libpng (png_decode.h)
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
    if (n <= 0) return;  // stb never asks for a backward skip through the callback
    r->pos += std::min(static_cast<size_t>(n), r->size - r->pos);
  }
  static int eof(void* user) {
    auto* r = static_cast<Reader*>(user);
    return r->pos >= r->size;
  }
};

const stbi_io_callbacks kCallbacks{&Reader::read, &Reader::skip, &Reader::eof};

// The name used in messages; stb tries TGA, which has no signature, last.
const char* sniff_format(const uint8_t* data, size_t size) {
  const std::string_view head(reinterpret_cast<const char*>(data), size);
  if (starts_with(head, "GIF87a") || starts_with(head, "GIF89a")) return "GIF";
  if (starts_with(head, "BM")) return "BMP";
  if (starts_with(head, "8BPS")) return "PSD";
  if (starts_with(head, "P5") || starts_with(head, "P6")) return "PNM";
  return "TGA";
}

uint32_t be(const uint8_t* p, int n) {
  uint32_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

// stb_image 2.27 reads the numbers of a binary PNM header into an int without an overflow check
// (signed overflow, then a garbage size). Reads width, height and maxval as stb does (whitespace
// and '#' comments between them), refuses a number that does not fit, and returns maxval (0 when
// the file is no binary PNM).
int64_t check_pnm_header(const uint8_t* data, size_t size, const std::string& where) {
  if (size < 2 || data[0] != 'P' || (data[1] != '5' && data[1] != '6')) return 0;
  int64_t value = 0;
  auto space = [](uint8_t c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  size_t pos = 2;
  for (int number = 0; number < 3; ++number) {
    for (;;) {
      while (pos < size && space(data[pos])) ++pos;
      if (pos >= size || data[pos] != '#') break;
      while (pos < size && data[pos] != '\n' && data[pos] != '\r') ++pos;
    }
    value = 0;
    for (; pos < size && data[pos] >= '0' && data[pos] <= '9'; ++pos) {
      value = value * 10 + (data[pos] - '0');
      if (value > INT32_MAX) fail(where, "corrupt PNM header: a number does not fit in 32 bits");
    }
  }
  return value;
}

// The size a header claims, read here so that the limit is enforced before stb allocates (and
// before its own, less clear, sanity limits answer). False when the format is not one of these.
bool claimed_dimensions(const std::string& format, const uint8_t* d, size_t size, uint64_t& w, uint64_t& h) {
  if (format == "GIF") {  // no frame or a truncated header: left for the decoder to refuse
    int gif_w = 0, gif_h = 0;
    try {
      gif_canvas_size(d, size, "", &gif_w, &gif_h);
    } catch (const Error&) {
      return false;
    }
    w = static_cast<uint64_t>(gif_w);
    h = static_cast<uint64_t>(gif_h);
    return true;
  }
  if (format == "BMP" && size >= 26 && load_le32(d + 14) >= 40) {
    w = static_cast<uint64_t>(std::llabs(static_cast<int32_t>(load_le32(d + 18))));
    h = static_cast<uint64_t>(std::llabs(static_cast<int32_t>(load_le32(d + 22))));
    return true;
  }
  if (format == "PSD" && size >= 22) {
    h = be(d + 14, 4);
    w = be(d + 18, 4);
    return true;
  }
  return false;
}

std::string reason() {
  const char* r = stbi_failure_reason();
  return r ? r : "unknown error";
}

std::string size_text(uint64_t w, uint64_t h) { return std::to_string(w) + "x" + std::to_string(h); }

ImageInfo probe(const uint8_t* data, size_t size, const std::string& where, uint64_t max_pixels) {
  if (size > static_cast<size_t>(INT32_MAX)) fail(where, "is over 2 GiB, too large to decode");
  ImageInfo info;
  info.format = sniff_format(data, size);
  check_pnm_header(data, size, where);
  uint64_t claimed_w = 0, claimed_h = 0;
  if (claimed_dimensions(info.format, data, size, claimed_w, claimed_h))
    check_pixel_limit(where, info.format, claimed_w, claimed_h, max_pixels);
  Reader header(data, size);
  if (!stbi_info_from_callbacks(&kCallbacks, &header, &info.width, &info.height, &info.channels)) {
    if (info.format == "TGA")
      fail(where, "is not a supported image (PNG, JPEG, BMP, GIF, TGA, PSD, binary PNM) or its header is corrupt");
    fail(where, "corrupt " + info.format + " header: " + reason());
  }
  // stb reports a top-down BMP's height as negative.
  if (info.format == "BMP" && info.height < 0 && info.height != INT32_MIN) info.height = -info.height;
  if (info.format == "GIF") gif_canvas_size(data, size, where, &info.width, &info.height);
  Reader depth(data, size);
  info.sixteen_bit = stbi_is_16_bit_from_callbacks(&kCallbacks, &depth) != 0;
  return info;
}

Image decode_with_stb(const uint8_t* data, size_t size, const std::string& where, const ImageInfo& info) {
  if (info.format == "BMP") check_bmp_palette_indices(data, size, where);
  if (info.format == "PNM" && check_pnm_header(data, size, where) == 0) fail(where, "corrupt PNM header: maxval is 0");
  // stb "removes a white matte" from the colours of a PSD with alpha (Pillow keeps them), and
  // overflows a float-to-byte conversion doing it.
  if (info.format == "PSD" && size >= 14 && be(data + 12, 2) > 3)
    fail(where, "PSD with " + std::to_string(be(data + 12, 2)) + " channels is not supported (only gray and RGB without alpha)");
  Reader reader(data, size);
  int w = 0, h = 0, channels = 0;
  std::unique_ptr<stbi_uc, void (*)(void*)> decoded(
      stbi_load_from_callbacks(&kCallbacks, &reader, &w, &h, &channels, 3), stbi_image_free);
  if (reader.overran) fail(where, "truncated " + info.format + ": the data ends before the image is complete");
  if (!decoded) fail(where, "cannot decode " + info.format + ": " + reason());
  if (w != info.width || h != info.height)
    fail(where, info.format + " header says " + size_text(info.width, info.height) + " but the image decodes as " +
                    size_text(w, h));
  Image image(w, h);
  std::memcpy(image.pixels.data(), decoded.get(), image.pixels.size());
  return image;
}

}  // namespace

ImageInfo probe_image(const uint8_t* data, size_t size, const std::string& where) {
  if (size == 0) fail(where, "is empty, not an image");
  if (looks_like_jpeg(data, size)) return probe_jpeg(data, size, where);
  if (looks_like_png(data, size)) return probe_png(data, size, where);
  return probe(data, size, where, UINT64_MAX);
}

Image decode_image(const uint8_t* data, size_t size, const std::string& where, const DecodeOptions& options) {
  if (size == 0) fail(where, "is empty, not an image");
  if (looks_like_jpeg(data, size)) return decode_jpeg(data, size, where, options.max_pixels);
  if (looks_like_png(data, size)) return decode_png(data, size, where, options.max_pixels);
  const ImageInfo info = probe(data, size, where, options.max_pixels);
  if (info.width <= 0 || info.height <= 0)
    fail(where, info.format + " header gives an empty " + std::to_string(info.width) + "x" +
                    std::to_string(info.height) + " image");
  check_pixel_limit(where, info.format, info.width, info.height, options.max_pixels);
  if (info.sixteen_bit)
    fail(where, "16-bit " + info.format + " images are not supported; convert to 8 bits per channel");

  if (info.format == "GIF") return decode_gif(data, size, where);
  Image image = decode_with_stb(data, size, where, info);
  if (info.format == "PNM") rescale_pnm_samples(image, static_cast<int>(check_pnm_header(data, size, where)));
  if (info.format == "BMP") rescale_bmp16_channels(data, size, image);
  return image;
}

Image load_image(const std::string& path, const DecodeOptions& options) {
  // Pages on demand: a bogus multi-gigabyte file is refused after its header page is read.
  const ByteView bytes = map_file(path, MapPages::OnDemand);
  return decode_image(bytes.data, bytes.size, path, options);
}

}  // namespace vit
