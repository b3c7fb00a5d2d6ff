#include "engine/image/pil_resize.h"

#include <cstdint>
#include <string>
#include <vector>

#include "engine/image/image_decode.h"
#include "formats/error.h"

namespace vit {

namespace {

constexpr int kPrecisionBits = 22;  // Pillow: 32 - 8 bits of result - 2 bits of headroom
// Below this many multiply-adds a parallel region costs more than it saves.
constexpr size_t kParallelWork = size_t{1} << 18;

// One pass's weights in Pillow's fixed point: taps of output i are weights[offset[i] ...].
struct FixedWeights {
  std::vector<int> first;
  std::vector<int> count;
  std::vector<size_t> offset;
  std::vector<int32_t> weights;
};

FixedWeights fixed_weights(int in_size, int out_size, ResampleFilter filter) {
  const ResampleWeights w = resample_weights(in_size, out_size, filter);
  FixedWeights f;
  f.first = w.first;
  f.count.resize(out_size);
  f.offset.resize(out_size);
  for (int i = 0; i < out_size; ++i) {
    f.offset[i] = f.weights.size();
    f.count[i] = static_cast<int>(w.taps[i].size());
    for (double t : w.taps[i]) {
      const double scaled = t * (1 << kPrecisionBits);
      // Truncation toward zero after adding +-0.5, as Pillow's normalize_coeffs_8bpc does.
      f.weights.push_back(static_cast<int32_t>(t < 0 ? scaled - 0.5 : scaled + 0.5));
    }
  }
  return f;
}

inline uint8_t clip8(int64_t acc) {
  const int64_t v = acc >> kPrecisionBits;  // arithmetic shift: floor, like Pillow's lookup index
  return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

Image resize_horizontal(const Image& in, int out_w, ResampleFilter filter) {
  const FixedWeights f = fixed_weights(in.width, out_w, filter);
  Image out(out_w, in.height);
  const bool parallel = f.weights.size() * 3 * static_cast<size_t>(in.height) >= kParallelWork;
#pragma omp parallel for schedule(static) if (parallel)
  for (int y = 0; y < in.height; ++y) {
    const uint8_t* src = in.row(y);
    uint8_t* dst = out.row(y);
    for (int x = 0; x < out_w; ++x) {
      const int32_t* k = &f.weights[f.offset[x]];
      const uint8_t* p = src + static_cast<size_t>(f.first[x]) * 3;
      int64_t r = 1 << (kPrecisionBits - 1), g = r, b = r;
      for (int t = 0; t < f.count[x]; ++t, p += 3) {
        r += p[0] * static_cast<int64_t>(k[t]);
        g += p[1] * static_cast<int64_t>(k[t]);
        b += p[2] * static_cast<int64_t>(k[t]);
      }
      dst[x * 3 + 0] = clip8(r);
      dst[x * 3 + 1] = clip8(g);
      dst[x * 3 + 2] = clip8(b);
    }
  }
  return out;
}

Image resize_vertical(const Image& in, int out_h, ResampleFilter filter) {
  const FixedWeights f = fixed_weights(in.height, out_h, filter);
  Image out(in.width, out_h);
  const size_t values = in.row_bytes();
  const bool parallel = f.weights.size() * values >= kParallelWork;
#pragma omp parallel for schedule(static) if (parallel)
  for (int y = 0; y < out_h; ++y) {
    const int32_t* k = &f.weights[f.offset[y]];
    std::vector<int64_t> acc(values, int64_t{1} << (kPrecisionBits - 1));
    for (int t = 0; t < f.count[y]; ++t) {
      const uint8_t* src = in.row(f.first[y] + t);
      const int64_t weight = k[t];
      for (size_t v = 0; v < values; ++v) acc[v] += src[v] * weight;
    }
    uint8_t* dst = out.row(y);
    for (size_t v = 0; v < values; ++v) dst[v] = clip8(acc[v]);
  }
  return out;
}

// Pillow's ImagingScaleAffine: positions start at half a step and are accumulated, so the
// chosen source index follows the same double rounding as Pillow's loop.
Image resize_nearest(const Image& in, int out_w, int out_h) {
  const double step_x = static_cast<double>(in.width) / out_w;
  const double step_y = static_cast<double>(in.height) / out_h;
  std::vector<int> source_x(out_w);
  double position = step_x * 0.5;
  for (int x = 0; x < out_w; ++x, position += step_x)
    source_x[x] = position < 0.0 ? -1 : static_cast<int>(position);
  std::vector<int> source_y(out_h);
  position = step_y * 0.5;
  for (int y = 0; y < out_h; ++y, position += step_y)
    source_y[y] = position < 0.0 ? -1 : static_cast<int>(position);

  Image out(out_w, out_h);  // pixels mapped outside the source stay black, as with Pillow's fill
  const bool parallel = out.pixels.size() >= kParallelWork;
#pragma omp parallel for schedule(static) if (parallel)
  for (int y = 0; y < out_h; ++y) {
    const int sy = source_y[y];
    if (sy < 0 || sy >= in.height) continue;
    const uint8_t* src = in.row(sy);
    uint8_t* dst = out.row(y);
    for (int x = 0; x < out_w; ++x) {
      const int sx = source_x[x];
      if (sx < 0 || sx >= in.width) continue;
      dst[x * 3 + 0] = src[sx * 3 + 0];
      dst[x * 3 + 1] = src[sx * 3 + 1];
      dst[x * 3 + 2] = src[sx * 3 + 2];
    }
  }
  return out;
}

}  // namespace

Image resize_image(const Image& image, int width, int height, ResampleFilter filter) {
  if (width < 1 || height < 1)
    fail("resize", "target size " + std::to_string(width) + "x" + std::to_string(height) +
                       " must be at least 1x1");
  if (image.empty())
    fail("resize", "cannot resize an empty " + std::to_string(image.width) + "x" +
                       std::to_string(image.height) + " image");
  if (width == image.width && height == image.height) return image;
  // The horizontal pass runs first, over every row: a 1 x 300000 image resized to 224 x 224
  // needs a 224 x 300000 intermediate, bounded like any decoded image.
  const uint64_t largest = std::max(static_cast<uint64_t>(width) * static_cast<uint64_t>(image.height),
                                    static_cast<uint64_t>(width) * static_cast<uint64_t>(height));
  if (largest > kDefaultMaxImagePixels)
    fail("resize", "resizing " + std::to_string(image.width) + "x" + std::to_string(image.height) + " to " +
                       std::to_string(width) + "x" + std::to_string(height) + " needs " + std::to_string(largest) +
                       " pixels at once, over the limit of " + std::to_string(kDefaultMaxImagePixels));
  if (filter == ResampleFilter::Nearest) return resize_nearest(image, width, height);
  if (height == image.height) return resize_horizontal(image, width, filter);
  if (width == image.width) return resize_vertical(image, height, filter);
  return resize_vertical(resize_horizontal(image, width, filter), height, filter);
}

}  // namespace vit
