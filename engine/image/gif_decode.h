// GIF: the first frame, converted to RGB exactly as Pillow 9.4's Image.open(f).convert('RGB').
//
// Pillow's rules, which stb_image does not follow:
// - the canvas is the logical screen, grown to hold the first frame when that reaches past it;
// - outside the frame the canvas holds the transparent colour index when the file sets one,
//   else index 0, looked up in the palette like any other pixel (transparency is not applied);
// - the palette is the frame's local table, else the global one; an index past the table's end
//   (or any index when there is no table) is the gray (i, i, i).
// Corrupt or truncated data (an LZW code not yet defined, a stream that ends before the frame is
// complete) is refused.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/image/image.h"

namespace vit {

// The canvas size, from the headers alone. Throws Error(where: ...) when the file has no frame.
void gif_canvas_size(const uint8_t* data, size_t size, const std::string& where, int* width, int* height);
Image decode_gif(const uint8_t* data, size_t size, const std::string& where);

}  // namespace vit
