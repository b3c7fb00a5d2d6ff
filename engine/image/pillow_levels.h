// Formats whose samples have fewer than 8 bits: stb_image widens them by repeating their bits,
// Pillow by arithmetic that can land one level lower. These put Pillow's values into an image
// stb decoded.
#pragma once
#include <cstddef>
#include <cstdint>

#include "engine/image/image.h"

namespace vit {

// Binary PNM with a maxval other than 255: Pillow 9.4 maps each sample v (clipped to maxval) to
// round(v / maxval * 255), ties to even; stb keeps v. Call with stb's output.
void rescale_pnm_samples(Image& image, int maxval);

// 16-bit BMP in the 5-6-5 and 5-5-5 layouts (the only ones Pillow opens): Pillow maps a b-bit
// channel v to v * 255 / (2^b - 1), rounded down; stb repeats v's bits. Other BMPs are left alone.
void rescale_bmp16_channels(const uint8_t* data, size_t size, Image& image);

}  // namespace vit
