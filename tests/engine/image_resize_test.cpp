// Pillow-exact resizing: nearest's accumulated sampling, and the fixed-point convolution
// against a plain re-implementation of the recipe in ../shared/fixtures/preprocess/README.md.
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "engine/image/pil_resize.h"
#include "formats/error.h"

namespace vit {
namespace {

Image random_image(int w, int h, uint32_t seed) {
  std::mt19937 rng(seed);
  Image image(w, h);
  for (uint8_t& v : image.pixels) v = static_cast<uint8_t>(rng() & 255);
  return image;
}

// ---- The README's recipe, written out directly (one output sample at a time, no tables).

double filter(ResampleFilter f, double x) {
  const double pi = 3.14159265358979323846;
  auto sinc = [pi](double t) { return t == 0.0 ? 1.0 : std::sin(t * pi) / (t * pi); };
  x = std::fabs(x);
  switch (f) {
    case ResampleFilter::Bilinear: return x < 1.0 ? 1.0 - x : 0.0;
    case ResampleFilter::Bicubic:
      if (x < 1.0) return (1.5 * x - 2.5) * x * x + 1.0;
      if (x < 2.0) return (((x - 5.0) * x + 8.0) * x - 4.0) * -0.5;
      return 0.0;
    case ResampleFilter::Lanczos: return x < 3.0 ? sinc(x) * sinc(x / 3.0) : 0.0;
    case ResampleFilter::Nearest: break;
  }
  return 0.0;
}

double radius(ResampleFilter f) {
  return f == ResampleFilter::Bilinear ? 1.0 : f == ResampleFilter::Bicubic ? 2.0 : 3.0;
}

// One pass over `count` samples spaced `stride` apart starting at `in`.
std::vector<uint8_t> recipe_pass(const std::vector<uint8_t>& in, int out_size, ResampleFilter f) {
  const int in_size = static_cast<int>(in.size());
  const double scale = double(in_size) / out_size;
  const double fscale = std::max(scale, 1.0);
  const double support = radius(f) * fscale;
  std::vector<uint8_t> out(out_size);
  for (int i = 0; i < out_size; ++i) {
    const double center = (i + 0.5) * scale;
    const int xmin = std::max(int(center - support + 0.5), 0);
    const int xmax = std::min(int(center + support + 0.5), in_size);
    std::vector<double> w;
    double sum = 0.0;
    for (int x = xmin; x < xmax; ++x) {
      w.push_back(filter(f, (x - center + 0.5) * (1.0 / fscale)));
      sum += w.back();
    }
    int64_t acc = int64_t{1} << 21;
    for (int x = xmin; x < xmax; ++x) {
      const double n = w[x - xmin] / sum;
      const int64_t fixed = n < 0 ? int64_t(n * (1 << 22) - 0.5) : int64_t(n * (1 << 22) + 0.5);
      acc += in[x] * fixed;
    }
    const int64_t v = acc >> 22;
    out[i] = static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v);
  }
  return out;
}

Image recipe_resize(const Image& in, int w, int h, ResampleFilter f) {
  Image wide = in;
  if (w != in.width) {
    wide = Image(w, in.height);
    for (int y = 0; y < in.height; ++y)
      for (int c = 0; c < 3; ++c) {
        std::vector<uint8_t> line(in.width);
        for (int x = 0; x < in.width; ++x) line[x] = in.pixel(x, y)[c];
        const std::vector<uint8_t> out = recipe_pass(line, w, f);
        for (int x = 0; x < w; ++x) wide.pixel(x, y)[c] = out[x];
      }
  }
  if (h == in.height) return wide;
  Image out(w, h);
  for (int x = 0; x < w; ++x)
    for (int c = 0; c < 3; ++c) {
      std::vector<uint8_t> line(in.height);
      for (int y = 0; y < in.height; ++y) line[y] = wide.pixel(x, y)[c];
      const std::vector<uint8_t> col = recipe_pass(line, h, f);
      for (int y = 0; y < h; ++y) out.pixel(x, y)[c] = col[y];
    }
  return out;
}

TEST(ImageResize, ConvolutionFiltersFollowTheRecipeExactly) {
  const ResampleFilter filters[] = {ResampleFilter::Bilinear, ResampleFilter::Bicubic, ResampleFilter::Lanczos};
  const int sizes[][4] = {{37, 23, 11, 7},  {11, 7, 37, 23},  {64, 64, 32, 32}, {50, 40, 50, 13},
                          {50, 40, 17, 40}, {300, 200, 224, 224}, {9, 5, 1, 1},   {1, 1, 6, 4},
                          {451, 300, 372, 248}, {31, 29, 64, 17}};
  uint32_t seed = 1;
  for (const auto& s : sizes)
    for (ResampleFilter f : filters) {
      SCOPED_TRACE(std::to_string(s[0]) + "x" + std::to_string(s[1]) + " -> " + std::to_string(s[2]) + "x" +
                   std::to_string(s[3]) + " filter " + std::to_string(int(f)));
      const Image in = random_image(s[0], s[1], seed++);
      EXPECT_EQ(resize_image(in, s[2], s[3], f), recipe_resize(in, s[2], s[3], f));
    }
}

TEST(ImageResize, HandWorkedBilinearExample) {
  // 4 -> 2 bilinear: weights 3/7, 3/7, 1/7 and 1/7, 3/7, 3/7 in 22-bit fixed point.
  Image in(4, 1);
  const uint8_t row[] = {0, 100, 200, 255};
  for (int x = 0; x < 4; ++x) in.pixel(x, 0)[0] = in.pixel(x, 0)[1] = in.pixel(x, 0)[2] = row[x];
  const Image out = resize_image(in, 2, 1, ResampleFilter::Bilinear);
  EXPECT_EQ(out.pixel(0, 0)[0], 71);   // (2^21 + 100*1797559 + 200*599186) >> 22
  EXPECT_EQ(out.pixel(1, 0)[0], 209);  // (2^21 + 100*599186 + (200+255)*1797559) >> 22
}

TEST(ImageResize, ConstantImagesStayConstant) {
  for (ResampleFilter f : {ResampleFilter::Nearest, ResampleFilter::Bilinear, ResampleFilter::Bicubic,
                           ResampleFilter::Lanczos}) {
    Image in(23, 17);
    for (size_t i = 0; i < in.pixels.size(); i += 3) {
      in.pixels[i] = 0;
      in.pixels[i + 1] = 200;
      in.pixels[i + 2] = 255;
    }
    for (const auto& size : {std::pair<int, int>{7, 5}, {64, 41}, {23, 3}, {2, 17}}) {
      const Image out = resize_image(in, size.first, size.second, f);
      for (size_t i = 0; i < out.pixels.size(); i += 3) {
        ASSERT_EQ(out.pixels[i], 0);
        ASSERT_EQ(out.pixels[i + 1], 200);
        ASSERT_EQ(out.pixels[i + 2], 255);
      }
    }
  }
}

TEST(ImageResize, SameSizeIsACopy) {
  const Image in = random_image(13, 9, 7);
  for (ResampleFilter f : {ResampleFilter::Nearest, ResampleFilter::Bilinear, ResampleFilter::Bicubic,
                           ResampleFilter::Lanczos})
    EXPECT_EQ(resize_image(in, 13, 9, f), in);
}

TEST(ImageResize, UnchangedDimensionSkipsItsPass) {
  // Only the width changes: each row is resampled on its own, with no vertical smoothing.
  const Image in = random_image(40, 6, 3);
  const Image out = resize_image(in, 15, 6, ResampleFilter::Bicubic);
  for (int y = 0; y < 6; ++y) {
    Image row(40, 1);
    std::copy(in.row(y), in.row(y) + in.row_bytes(), row.row(0));
    const Image expect = resize_image(row, 15, 1, ResampleFilter::Bicubic);
    EXPECT_TRUE(std::equal(expect.row(0), expect.row(0) + expect.row_bytes(), out.row(y))) << "row " << y;
  }
}

// Pillow's NEAREST is an affine transform, not a filter: output i takes source index
// int(x), x starting at half a step and advanced by `in / out` each sample in double.
TEST(ImageResize, NearestSamplesLikePillow) {
  Image in(5, 1);
  for (int x = 0; x < 5; ++x) in.pixel(x, 0)[0] = static_cast<uint8_t>(10 * x);
  const Image down = resize_image(in, 3, 1, ResampleFilter::Nearest);  // positions 0.83, 2.5, 4.17
  EXPECT_EQ(down.pixel(0, 0)[0], 0);
  EXPECT_EQ(down.pixel(1, 0)[0], 20);
  EXPECT_EQ(down.pixel(2, 0)[0], 40);
  const Image up = resize_image(in, 8, 1, ResampleFilter::Nearest);  // step 0.625
  const int expect_up[] = {0, 0, 10, 20, 20, 30, 40, 40};
  for (int x = 0; x < 8; ++x) EXPECT_EQ(up.pixel(x, 0)[0], expect_up[x]) << x;

  // 2 -> 7: the accumulated position of output 3 is 0.99999..., not (3 + 0.5) * 2 / 7 = 1.
  Image two(2, 2);
  two.pixel(1, 0)[1] = two.pixel(1, 1)[1] = 255;
  two.pixel(0, 1)[2] = two.pixel(1, 1)[2] = 255;
  const Image seven = resize_image(two, 7, 7, ResampleFilter::Nearest);
  const int expect_x[] = {0, 0, 0, 0, 255, 255, 255};
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(seven.pixel(i, 0)[1], expect_x[i]) << i;
    EXPECT_EQ(seven.pixel(0, i)[2], expect_x[i]) << i;
  }
}

TEST(ImageResize, LargeImagesTakeTheParallelPathWithTheSameResult) {
  const Image in = random_image(700, 500, 11);
  for (ResampleFilter f : {ResampleFilter::Nearest, ResampleFilter::Bicubic}) {
    const Image big = resize_image(in, 640, 480, f);
    // Split the work by rows: a 1-row image never runs in parallel.
    const Image wide = resize_image(in, 640, 500, f);
    for (int y = 0; y < 500; y += 97) {
      Image row(700, 1);
      std::copy(in.row(y), in.row(y) + in.row_bytes(), row.row(0));
      const Image expect = resize_image(row, 640, 1, f);
      EXPECT_TRUE(std::equal(expect.row(0), expect.row(0) + expect.row_bytes(), wide.row(y))) << y;
    }
    // Horizontal first into 8 bits, then vertical: the two passes can be run one at a time.
    EXPECT_EQ(big, resize_image(wide, 640, 480, f));
  }
}

TEST(ImageResize, RefusesEmptySizes) {
  const Image in = random_image(4, 4, 5);
  EXPECT_THROW(resize_image(in, 0, 4, ResampleFilter::Bilinear), Error);
  EXPECT_THROW(resize_image(in, 4, -1, ResampleFilter::Nearest), Error);
  EXPECT_THROW(resize_image(Image(), 4, 4, ResampleFilter::Bilinear), Error);
}

}  // namespace
TEST(PilResize, IntermediatesOverThePixelLimitAreRefusedBeforeAllocating) {
  const Image thin(1, 300000);  // its 224-wide horizontal pass would be 67.2 million pixels
  try {
    resize_image(thin, 224, 224, ResampleFilter::Bilinear);
    ADD_FAILURE() << "resized";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("needs 67200000 pixels at once"), std::string::npos) << e.what();
  }
  EXPECT_EQ(resize_image(Image(1, 50000), 224, 224, ResampleFilter::Bilinear).width, 224);
}

}  // namespace vit
