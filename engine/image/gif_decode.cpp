#include "engine/image/gif_decode.h"

#include <algorithm>
#include <vector>

#include "formats/error.h"

namespace vit {

namespace {

struct Palette {
  const uint8_t* colors = nullptr;  // RGB triples
  int entries = 0;
};

// What precedes the first frame's pixel data.
struct GifFrame {
  int screen_width = 0, screen_height = 0;
  int x = 0, y = 0, width = 0, height = 0;
  bool interlaced = false;
  int transparent = -1;  // the colour index of the first graphic control extension, if any
  Palette palette;
  int min_code_size = 0;
  size_t data = 0;  // offset of the first sub-block of LZW data
};

class Cursor {
 public:
  Cursor(const uint8_t* data, size_t size, const std::string& where) : data_(data), size_(size), where_(where) {}
  uint8_t byte() { return need(1), data_[pos_++]; }
  int le16() {
    need(2);
    pos_ += 2;
    return data_[pos_ - 2] | (data_[pos_ - 1] << 8);
  }
  const uint8_t* take(size_t n) {
    need(n);
    pos_ += n;
    return data_ + pos_ - n;
  }
  void skip_sub_blocks() {
    for (uint8_t n = byte(); n != 0; n = byte()) take(n);
  }
  size_t pos() const { return pos_; }

 private:
  void need(size_t n) const {
    if (n > size_ - pos_) fail(where_, "truncated GIF: the data ends before the first frame is complete");
  }
  const uint8_t* data_;
  size_t size_, pos_ = 0;
  const std::string& where_;
};

Palette read_color_table(Cursor& in, uint8_t flags) {
  if (!(flags & 0x80)) return {};
  const int entries = 2 << (flags & 7);
  return {in.take(static_cast<size_t>(entries) * 3), entries};
}

void read_graphic_control(Cursor& in, GifFrame* frame) {
  const uint8_t n = in.byte();
  const uint8_t* block = in.take(n);
  if (n >= 4 && (block[0] & 1) && frame->transparent < 0) frame->transparent = block[3];
  in.skip_sub_blocks();
}

void read_descriptor(Cursor& in, GifFrame* frame, const std::string& where) {
  frame->x = in.le16();
  frame->y = in.le16();
  frame->width = in.le16();
  frame->height = in.le16();
  const uint8_t flags = in.byte();
  frame->interlaced = (flags & 0x40) != 0;
  if (flags & 0x80) frame->palette = read_color_table(in, flags);
  frame->min_code_size = in.byte();
  frame->data = in.pos();
  if (frame->width == 0 || frame->height == 0) fail(where, "corrupt GIF: the first frame is empty");
  if (frame->min_code_size < 2 || frame->min_code_size > 8)
    fail(where, "corrupt GIF: LZW code size " + std::to_string(frame->min_code_size) + " is not in 2..8");
}

GifFrame read_first_frame(const uint8_t* data, size_t size, const std::string& where) {
  Cursor in(data, size, where);
  in.take(6);  // "GIF87a" / "GIF89a", checked by the caller
  GifFrame frame;
  frame.screen_width = in.le16();
  frame.screen_height = in.le16();
  const uint8_t flags = in.byte();
  in.take(2);  // background index (Pillow does not paint with it) and aspect ratio
  frame.palette = read_color_table(in, flags);
  for (;;) {
    const uint8_t kind = in.byte();
    if (kind == 0x2C) {
      read_descriptor(in, &frame, where);
      return frame;
    }
    if (kind != 0x21) fail(where, kind == 0x3B ? "GIF has no image" : "corrupt GIF: unknown block before the first image");
    if (in.byte() == 0xF9)
      read_graphic_control(in, &frame);
    else
      in.skip_sub_blocks();
  }
}

// The LZW code stream of the frame, its sub-blocks joined.
std::vector<uint8_t> lzw_bytes(const uint8_t* data, size_t size, const GifFrame& frame, const std::string& where) {
  Cursor in(data, size, where);
  in.take(frame.data);
  std::vector<uint8_t> bytes;
  for (uint8_t n = in.byte(); n != 0; n = in.byte()) {
    const uint8_t* block = in.take(n);
    bytes.insert(bytes.end(), block, block + n);
  }
  return bytes;
}

// Variable-width LZW as GIF defines it: codes from 1 + min_code_size bits up to 12, a clear
// code that resets the table, an end code. Writes at most out.size() indices.
class LzwDecoder {
 public:
  LzwDecoder(int min_code_size, const std::string& where) : min_size_(min_code_size), where_(where) { reset(); }

  void decode(const std::vector<uint8_t>& in, std::vector<uint8_t>& out) {
    size_t written = 0, bit = 0;
    int previous = -1;
    while (written < out.size()) {
      if (bit + width_ > in.size() * 8) fail(where_, "truncated GIF: the image data ends before the frame is complete");
      int code = 0;
      for (int i = 0; i < width_; ++i, ++bit) code |= ((in[bit / 8] >> (bit % 8)) & 1) << i;
      if (code == clear()) {
        reset();
        previous = -1;
        continue;
      }
      if (code == clear() + 1) break;
      written += emit(code, previous, out.data() + written, out.size() - written);
      previous = code;
    }
    if (written < out.size()) fail(where_, "truncated GIF: the image data ends before the frame is complete");
  }

 private:
  int clear() const { return 1 << min_size_; }

  void reset() {
    prefix_.assign(clear() + 2, -1);
    suffix_.assign(clear() + 2, 0);
    length_.assign(clear() + 2, 1);
    first_.resize(clear() + 2);
    for (int i = 0; i < clear(); ++i) suffix_[i] = first_[i] = static_cast<uint8_t>(i);
    width_ = min_size_ + 1;
  }

  // Writes the string of `code` (defining the next entry from `previous`); returns its length.
  size_t emit(int code, int previous, uint8_t* out, size_t room) {
    const int next = static_cast<int>(prefix_.size());
    if (code > next || (code == next && previous < 0))
      fail(where_, "corrupt GIF: LZW code " + std::to_string(code) + " is not defined");
    if (previous >= 0 && next < 4096) {
      prefix_.push_back(previous);
      length_.push_back(length_[previous] + 1);
      first_.push_back(first_[previous]);
      suffix_.push_back(first_[code == next ? previous : code]);
      if (static_cast<int>(prefix_.size()) == (1 << width_) && width_ < 12) ++width_;
    }
    const size_t n = length_[code];
    int c = code;
    for (size_t i = n; i-- > 0; c = prefix_[c])
      if (i < room) out[i] = suffix_[c];
    return std::min(n, room);
  }

  int min_size_, width_ = 0;
  const std::string& where_;
  std::vector<int> prefix_;
  std::vector<uint8_t> suffix_, first_;  // an entry's last and first index
  std::vector<int> length_;
};

// The frame's rows in file order are 0, 8, 16, ... then 4, 12, ... then 2, 6, ... then 1, 3, ...
std::vector<int> row_order(int height, bool interlaced) {
  std::vector<int> rows;
  if (!interlaced) {
    for (int y = 0; y < height; ++y) rows.push_back(y);
    return rows;
  }
  for (const auto& [start, step] : {std::pair{0, 8}, {4, 8}, {2, 4}, {1, 2}})
    for (int y = start; y < height; y += step) rows.push_back(y);
  return rows;
}

void put_color(uint8_t* rgb, int index, const Palette& palette) {
  if (index < palette.entries) {
    std::copy_n(palette.colors + index * 3, 3, rgb);
  } else {
    std::fill_n(rgb, 3, static_cast<uint8_t>(index));
  }
}

}  // namespace

void gif_canvas_size(const uint8_t* data, size_t size, const std::string& where, int* width, int* height) {
  const GifFrame f = read_first_frame(data, size, where);
  *width = std::max(f.screen_width, f.x + f.width);
  *height = std::max(f.screen_height, f.y + f.height);
}

Image decode_gif(const uint8_t* data, size_t size, const std::string& where) {
  const GifFrame f = read_first_frame(data, size, where);
  std::vector<uint8_t> indices(static_cast<size_t>(f.width) * f.height);
  LzwDecoder(f.min_code_size, where).decode(lzw_bytes(data, size, f, where), indices);
  Image image(std::max(f.screen_width, f.x + f.width), std::max(f.screen_height, f.y + f.height));
  const int fill = f.transparent >= 0 ? f.transparent : 0;
  for (int y = 0; y < image.height; ++y)
    for (int x = 0; x < image.width; ++x) put_color(image.pixel(x, y), fill, f.palette);
  const std::vector<int> rows = row_order(f.height, f.interlaced);
  for (int r = 0; r < f.height; ++r)
    for (int x = 0; x < f.width; ++x)
      put_color(image.pixel(f.x + x, f.y + rows[r]), indices[static_cast<size_t>(r) * f.width + x], f.palette);
  return image;
}

}  // namespace vit
