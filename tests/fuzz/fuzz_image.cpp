// Image decoding (every format stb reads for us) and then the resize and crop steps of the
// three preprocessing pipelines. The last four bytes of the input choose the resize target
// and filter; decoders ignore trailing bytes, so the image itself is unaffected.
#include "engine/image/image_decode.h"
#include "engine/image/pil_resize.h"
#include "engine/image/preprocess.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return vit::fuzz::run_one([&] {
    vit::DecodeOptions options;
    options.max_pixels = uint64_t{1} << 20;  // the limit path is the same; small keeps runs fast
    const vit::Image image = vit::decode_image(data, size, "fuzz.img", options);
    const vit::ImageInfo info = vit::probe_image(data, size, "fuzz.img");
    if (image.width != info.width || image.height != info.height ||
        image.pixels.size() != static_cast<size_t>(image.width) * image.height * 3)
      __builtin_trap();
    const uint8_t* tail = size >= 4 ? data + size - 4 : nullptr;
    const int width = tail ? 1 + tail[0] % 96 : 7;
    const int height = tail ? 1 + tail[1] % 96 : 5;
    const auto filter = static_cast<vit::ResampleFilter>(tail ? tail[2] % 4 : 0);
    const vit::Image resized = vit::resize_image(image, width, height, filter);
    if (resized.width != width || resized.height != height) __builtin_trap();

    vit::PreprocessConfig config = (tail && tail[3] % 3 == 1) ? vit::hf_deit_defaults()
                                   : (tail && tail[3] % 3 == 2) ? vit::timm_eval_defaults(1 + tail[3] % 48)
                                                                : vit::hf_vit_defaults();
    config.resize_width = config.resize_height = 1 + (tail ? tail[0] : 0) % 40;
    config.crop_width = config.crop_height = 1 + (tail ? tail[1] : 0) % 48;
    config.resample = filter;
    const std::vector<float> tensor = vit::preprocess(resized, config);
    if (tensor.empty()) __builtin_trap();
  });
}
