#include "engine/image/jpeg_decode.h"

#include <csetjmp>
#include <cstdio>
#include <cstring>

// jpeglib.h needs size_t and FILE declared first.
#include <jerror.h>
#include <jpeglib.h>

#include "engine/image/image_decode.h"
#include "engine/image/pixel_limit.h"
#include "formats/error.h"

namespace vit {

namespace {

// libjpeg reports an error by calling error_exit, which must not return: it jumps back to the
// setjmp in the function that called into libjpeg. Those functions (start, read_rows) and the
// callbacks hold only plain C data, so the jump skips no destructor. The message is kept here
// and thrown as an Error once the jump has landed.
struct JpegSession {
  jpeg_decompress_struct cinfo;
  jpeg_error_mgr errors;
  jpeg_progress_mgr progress;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX + 64];
  bool created;
};

JpegSession& session_of(j_common_ptr cinfo) { return *static_cast<JpegSession*>(cinfo->client_data); }

[[noreturn]] void stop_with(j_common_ptr cinfo, const char* prefix) {
  JpegSession& s = session_of(cinfo);
  char text[JMSG_LENGTH_MAX];
  (*cinfo->err->format_message)(cinfo, text);
  std::snprintf(s.message, sizeof s.message, "%s%s", prefix, text);
  std::longjmp(s.jump, 1);
}

void on_error(j_common_ptr cinfo) { stop_with(cinfo, "corrupt JPEG: "); }

// Warnings that leave the pixels as the encoder meant them. The others mean that libjpeg made
// up data (grey blocks, zeros after the end of the file); Pillow accepts those silently, we
// refuse the file.
bool harmless(int code) {
  return code == JWRN_ADOBE_XFORM || code == JWRN_EXTRANEOUS_DATA || code == JWRN_JFIF_MAJOR ||
         code == JWRN_NOT_SEQUENTIAL || code == JWRN_TOO_MUCH_DATA || code == JWRN_BOGUS_ICC ||
         code == JWRN_BOGUS_PROGRESSION;
}

void on_message(j_common_ptr cinfo, int level) {
  if (level >= 0) return;  // trace output
  const int code = cinfo->err->msg_code;
  if (code == JWRN_JPEG_EOF) {
    JpegSession& s = session_of(cinfo);
    std::snprintf(s.message, sizeof s.message, "truncated JPEG: the data ends before the image is complete");
    std::longjmp(s.jump, 1);
  }
  if (!harmless(code)) stop_with(cinfo, "corrupt JPEG: ");
  ++cinfo->err->num_warnings;
}

void on_output_message(j_common_ptr) {}

void on_progress(j_common_ptr cinfo) {
  const auto* d = reinterpret_cast<j_decompress_ptr>(cinfo);
  if (d->input_scan_number <= kMaxJpegScans) return;
  JpegSession& s = session_of(cinfo);
  std::snprintf(s.message, sizeof s.message, "JPEG has more than %d scans, too costly to decode", kMaxJpegScans);
  std::longjmp(s.jump, 1);
}

void init_session(JpegSession& s) {
  std::memset(&s, 0, sizeof s);
  s.cinfo.err = jpeg_std_error(&s.errors);
  s.errors.error_exit = on_error;
  s.errors.emit_message = on_message;
  s.errors.output_message = on_output_message;
  s.cinfo.client_data = &s;
  s.progress.progress_monitor = on_progress;
}

// Creates the decompressor and reads the header. False after an error (s.message says why).
bool start(JpegSession& s, const uint8_t* data, size_t size) {
  if (setjmp(s.jump)) return false;
  jpeg_create_decompress(&s.cinfo);
  s.created = true;
  s.cinfo.progress = &s.progress;
  jpeg_mem_src(&s.cinfo, data, static_cast<unsigned long>(size));
  jpeg_read_header(&s.cinfo, TRUE);
  return true;
}

// Pillow's cmyk2rgb on the inverted ("CMYK;I") samples: with c = 255 - raw, nk = 255 - k,
// out = nk - round(c * nk / 255) in Pillow's MULDIV255 arithmetic.
void cmyk_row_to_rgb(const uint8_t* cmyk, uint8_t* rgb, unsigned width) {
  for (unsigned x = 0; x < width; ++x, cmyk += 4, rgb += 3) {
    const int nk = cmyk[3];
    for (int c = 0; c < 3; ++c) {
      const int t = (255 - cmyk[c]) * nk + 128;
      rgb[c] = static_cast<uint8_t>(nk - (((t >> 8) + t) >> 8));
    }
  }
}

// Gray samples at the start of an RGB row, spread to R, G and B from the right end backwards.
void gray_row_to_rgb_in_place(uint8_t* row, unsigned width) {
  for (unsigned x = width; x-- > 0;) row[3 * x] = row[3 * x + 1] = row[3 * x + 2] = row[x];
}

// Decodes every row into `rgb` (width * 3 bytes a row); a CMYK image goes through `cmyk_row`
// (width * 4 bytes). Pillow's settings: accurate integer IDCT, fancy upsampling.
bool read_rows(JpegSession& s, uint8_t* rgb, uint8_t* cmyk_row) {
  if (setjmp(s.jump)) return false;
  jpeg_decompress_struct& c = s.cinfo;
  c.out_color_space = c.num_components == 1 ? JCS_GRAYSCALE : c.num_components == 3 ? JCS_RGB : JCS_CMYK;
  c.dct_method = JDCT_ISLOW;
  c.do_fancy_upsampling = TRUE;
  c.do_block_smoothing = TRUE;
  jpeg_start_decompress(&c);
  const size_t stride = static_cast<size_t>(c.output_width) * 3;
  while (c.output_scanline < c.output_height) {
    uint8_t* out = rgb + static_cast<size_t>(c.output_scanline) * stride;
    JSAMPROW row = cmyk_row ? cmyk_row : out;
    if (jpeg_read_scanlines(&c, &row, 1) != 1) ERREXIT(&c, JERR_INPUT_EOF);
    if (cmyk_row) cmyk_row_to_rgb(cmyk_row, out, c.output_width);
    if (c.out_color_space == JCS_GRAYSCALE) gray_row_to_rgb_in_place(out, c.output_width);
  }
  jpeg_finish_decompress(&c);  // reads on to the end-of-image marker: a cut file is refused
  return true;
}

// Owns the libjpeg state for one file.
class JpegReader {
 public:
  JpegReader(const uint8_t* data, size_t size, const std::string& where) : where_(where) {
    init_session(s_);
    if (!start(s_, data, size)) {
      release();  // a constructor that throws runs no destructor
      fail(where_, s_.message);
    }
  }
  ~JpegReader() { release(); }
  JpegReader(const JpegReader&) = delete;
  JpegReader& operator=(const JpegReader&) = delete;

  const jpeg_decompress_struct& header() const { return s_.cinfo; }
  void read(uint8_t* rgb, uint8_t* cmyk_row) {
    if (!read_rows(s_, rgb, cmyk_row)) fail(where_, s_.message);
  }

 private:
  void release() {
    if (s_.created) jpeg_destroy_decompress(&s_.cinfo);
    s_.created = false;
  }

  JpegSession s_;
  std::string where_;
};

}  // namespace

bool looks_like_jpeg(const uint8_t* data, size_t size) { return size >= 2 && data[0] == 0xFF && data[1] == 0xD8; }

ImageInfo probe_jpeg(const uint8_t* data, size_t size, const std::string& where) {
  JpegReader reader(data, size, where);
  ImageInfo info;
  info.format = "JPEG";
  info.width = static_cast<int>(reader.header().image_width);
  info.height = static_cast<int>(reader.header().image_height);
  info.channels = reader.header().num_components;
  return info;
}

Image decode_jpeg(const uint8_t* data, size_t size, const std::string& where, uint64_t max_pixels) {
  JpegReader reader(data, size, where);
  const jpeg_decompress_struct& h = reader.header();
  check_pixel_limit(where, "JPEG", h.image_width, h.image_height, max_pixels);
  if (h.num_components != 1 && h.num_components != 3 && h.num_components != 4)
    fail(where, "JPEG with " + std::to_string(h.num_components) +
                    " components is not supported (only gray, YCbCr or RGB, and CMYK)");
  Image image(static_cast<int>(h.image_width), static_cast<int>(h.image_height));
  std::vector<uint8_t> cmyk_row(h.num_components == 4 ? size_t{h.image_width} * 4 : 0);
  reader.read(image.pixels.data(), cmyk_row.empty() ? nullptr : cmyk_row.data());
  return image;
}

}  // namespace vit
