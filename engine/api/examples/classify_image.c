/* Classifies images with a model folder through vitcpp's C API only (compiled as C).
 *   classify_image_c MODEL_DIR IMAGE...
 * Prints "IMAGE: LABEL (P%)" per image, like classify_image. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <vitcpp/vitcpp_c.h>

static int fail(const char* what) {
  fprintf(stderr, "classify_image_c: %s: %s\n", what, vitcpp_last_error());
  return 1;
}

/* The best class of one row of logits and its softmax probability. */
static int best_class(const float* logits, int classes, double* probability) {
  int best = 0;
  double sum = 0.0;
  for (int c = 1; c < classes; ++c)
    if (logits[c] > logits[best]) best = c;
  for (int c = 0; c < classes; ++c) sum += exp((double)logits[c] - logits[best]);
  *probability = 1.0 / sum;
  return best;
}

static int classify(vitcpp_model* model, const vitcpp_model_info* info, const char* path) {
  const size_t floats = (size_t)info->num_channels * info->input_height * info->input_width;
  float* pixels = malloc(floats * sizeof(float));
  float* logits = malloc((size_t)info->num_classes * sizeof(float));
  int height = 0, width = 0, status = 1;
  if (pixels && logits && vitcpp_preprocess_file(model, path, pixels, floats, &height, &width) == VITCPP_OK) {
    vitcpp_output_buffer out = {VITCPP_OUTPUT_LOGITS, logits, (size_t)info->num_classes, 0};
    if (vitcpp_run(model, pixels, floats, 1, height, width, &out, 1) == VITCPP_OK) {
      double probability = 0.0;
      const int best = best_class(logits, info->num_classes, &probability);
      char label[256];
      if (vitcpp_model_label(model, best, label, sizeof label, NULL) == VITCPP_OK) {
        printf("%s: %s (%.1f%%)\n", path, label, 100.0 * probability);
        status = 0;
      }
    }
  }
  if (status != 0) fail(path);
  free(pixels);
  free(logits);
  return status;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s MODEL_DIR IMAGE...\n", argv[0]);
    return 2;
  }
  vitcpp_model* model = NULL;
  if (vitcpp_model_load(argv[1], NULL, &model) != VITCPP_OK) return fail(argv[1]);
  vitcpp_model_info info;
  info.struct_size = sizeof info;
  if (vitcpp_model_get_info(model, &info) != VITCPP_OK) return fail(argv[1]);
  if (info.num_classes == 0 || info.input_height == 0) {
    fprintf(stderr, "classify_image_c: %s: needs a classifier with a fixed input size\n", argv[1]);
    return 1;
  }
  int failed = 0;
  for (int i = 2; i < argc; ++i) failed |= classify(model, &info, argv[i]);
  vitcpp_model_free(model);
  return failed;
}
