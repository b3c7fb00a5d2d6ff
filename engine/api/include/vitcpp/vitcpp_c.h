/* vitcpp's C API: a stable ABI over the engine for C and for other languages' FFIs.
 *
 *   vitcpp_load_options options;
 *   vitcpp_load_options_init(&options);
 *   vitcpp_model* model = NULL;
 *   if (vitcpp_model_load("folder", &options, &model) != VITCPP_OK) puts(vitcpp_last_error());
 *
 * No C++ type crosses this boundary: handles are opaque, strings are NUL-terminated UTF-8,
 * every buffer comes with its capacity in elements, and no function throws. Each call returns
 * a vitcpp_status; the message of a failed call is vitcpp_last_error() (the calling thread's
 * last failure) and vitcpp_model_last_error() (the handle's last failure).
 *
 * Threads: vitcpp_run and the vitcpp_preprocess_* functions may run at once on one handle from
 * several threads (each call takes its own scratch memory; results are the same, bit for bit,
 * as one call at a time), and so may the queries. vitcpp_model_free must not overlap any other
 * call on the same handle.
 *
 * Handles: every call looks the handle up among the live models before reading it, so NULL, a
 * pointer that never was a vitcpp_model and a freed one give VITCPP_BAD_HANDLE without their
 * memory being touched. Not caught: a freed handle whose address a later load has reused.
 */
#ifndef VITCPP_C_H_
#define VITCPP_C_H_

#include <stddef.h>
#include <stdint.h>

#if defined(VITCPP_BUILDING_LIBRARY)
#define VITCPP_C_API __attribute__((visibility("default")))
#else
#define VITCPP_C_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define VITCPP_VERSION_MAJOR 0
#define VITCPP_VERSION_MINOR 1
#define VITCPP_VERSION_PATCH 0

typedef enum {
  VITCPP_OK = 0,
  VITCPP_INVALID_ARGUMENT = 1, /* a NULL pointer, a negative size, an unknown enum value */
  VITCPP_BAD_HANDLE = 2,       /* NULL or not a live vitcpp_model */
  VITCPP_BUFFER_TOO_SMALL = 3, /* *needed (where the call has it) says how many elements */
  VITCPP_FAILED = 4,           /* the engine refused: a bad or unsupported file, image or size */
  VITCPP_OUT_OF_MEMORY = 5,
  VITCPP_ABORTED = 6,          /* the load's progress callback asked to stop */
  VITCPP_INTERNAL = 7          /* anything else; a bug */
} vitcpp_status;

typedef enum { VITCPP_DTYPE_AUTO = 0, VITCPP_DTYPE_F32 = 1, VITCPP_DTYPE_BF16 = 2, VITCPP_DTYPE_INT8 = 3 } vitcpp_dtype;

/* What a forward pass can give (see vitcpp.h's Output for each one's meaning). */
typedef enum {
  VITCPP_OUTPUT_LOGITS = 1,        /* [batch, classes] */
  VITCPP_OUTPUT_PRE_LOGITS = 2,    /* [batch, hidden] */
  VITCPP_OUTPUT_FEATURES = 4,      /* [batch, tokens, hidden] */
  VITCPP_OUTPUT_POOLER_OUTPUT = 8, /* [batch, pooler width] */
  VITCPP_OUTPUT_IMAGE_EMBEDS = 16  /* [batch, projection] */
} vitcpp_output;

/* Called while a model loads with the fraction done (0 to 1); return nonzero to stop the load
 * (vitcpp_model_load then returns VITCPP_ABORTED). */
typedef int (*vitcpp_progress_fn)(float fraction, void* user_data);

typedef struct {
  size_t struct_size;    /* sizeof(vitcpp_load_options), set by vitcpp_load_options_init */
  vitcpp_dtype dtype;    /* AUTO: int8 for int8 folders, else float32 */
  const char* cache_dir; /* where to keep packed weights between loads; NULL or "": none */
  int threads;           /* for every later call, process-wide; 0: OMP_NUM_THREADS or all cores */
  vitcpp_progress_fn progress;
  void* progress_user_data;
} vitcpp_load_options;

typedef struct {
  size_t struct_size; /* set by the caller to sizeof(vitcpp_model_info) */
  int num_classes;    /* 0 for a feature extractor */
  int hidden_size;
  int num_channels;
  int input_height, input_width; /* what preprocessing gives; 0 when the image decides */
  vitcpp_dtype dtype;            /* the one in use, never AUTO */
  unsigned outputs;              /* mask of the vitcpp_output values the model has */
  vitcpp_output embedding;       /* the model's embedding (what `vitrun --embed` writes) */
} vitcpp_model_info;

/* One output of a run: the caller's buffer and its capacity in floats; written tells how many
 * floats the run wrote (or, with VITCPP_BUFFER_TOO_SMALL, how many it needs). */
typedef struct {
  vitcpp_output kind;
  float* data;
  size_t capacity;
  size_t written;
} vitcpp_output_buffer;

typedef struct vitcpp_model vitcpp_model;

VITCPP_C_API const char* vitcpp_version(void); /* "0.1.0" */

/* The message of the calling thread's last failed call ("" when none); valid until that
 * thread's next failing call. */
VITCPP_C_API const char* vitcpp_last_error(void);

VITCPP_C_API void vitcpp_load_options_init(vitcpp_load_options* options);

/* Reads folder/config.json, its weights and preprocessor_config.json; *model is set on success
 * (and NULL on failure). options may be NULL for the defaults. */
VITCPP_C_API vitcpp_status vitcpp_model_load(const char* folder, const vitcpp_load_options* options,
                                             vitcpp_model** model);
VITCPP_C_API void vitcpp_model_free(vitcpp_model* model); /* NULL, foreign or freed handles are ignored */

/* Copies the handle's last failure message (NUL-terminated, cut to capacity) into message;
 * *needed (if not NULL) gets its full length plus one. */
VITCPP_C_API vitcpp_status vitcpp_model_last_error(const vitcpp_model* model, char* message, size_t capacity,
                                                   size_t* needed);

VITCPP_C_API vitcpp_status vitcpp_model_get_info(const vitcpp_model* model, vitcpp_model_info* info);

/* Floats that `output` takes for `batch` images of height x width (features depend on the
 * token count, so on the size); VITCPP_FAILED when the model has no such output. */
VITCPP_C_API vitcpp_status vitcpp_model_output_size(const vitcpp_model* model, vitcpp_output output, int batch,
                                                    int height, int width, size_t* floats);

/* The label of class `index` (id2label, else "LABEL_<index>"), NUL-terminated, into label;
 * *needed gets its length plus one. VITCPP_BUFFER_TOO_SMALL when capacity is less. */
VITCPP_C_API vitcpp_status vitcpp_model_label(const vitcpp_model* model, int index, char* label, size_t capacity,
                                              size_t* needed);

/* Preprocessing into out (capacity floats): float32 [channels, *height, *width]. With
 * VITCPP_BUFFER_TOO_SMALL, *height and *width still tell the size needed. */
VITCPP_C_API vitcpp_status vitcpp_preprocess_file(const vitcpp_model* model, const char* path, float* out,
                                                  size_t capacity, int* height, int* width);
VITCPP_C_API vitcpp_status vitcpp_preprocess_encoded(const vitcpp_model* model, const void* bytes, size_t size,
                                                     float* out, size_t capacity, int* height, int* width);
/* An 8-bit RGB (channels 3) or RGBA (4; alpha dropped) frame with rows `stride` bytes apart. */
VITCPP_C_API vitcpp_status vitcpp_preprocess_rgb(const vitcpp_model* model, const uint8_t* pixels, int frame_width,
                                                 int frame_height, size_t stride, int channels, float* out,
                                                 size_t capacity, int* height, int* width);

/* A forward pass on pixels float32 [batch, channels, height, width] (count floats, which must
 * be exactly that many), filling each of the n_outputs buffers. Nothing is written unless
 * every buffer is large enough. */
VITCPP_C_API vitcpp_status vitcpp_run(const vitcpp_model* model, const float* pixels, size_t count, int batch,
                                      int height, int width, vitcpp_output_buffer* outputs, size_t n_outputs);

#ifdef __cplusplus
}
#endif

#endif /* VITCPP_C_H_ */
