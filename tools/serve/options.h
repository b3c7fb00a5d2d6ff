// vitserve's command line: what to serve, where, and the limits of each request.
#pragma once
#include <cstddef>
#include <string>

namespace vit::serve {

struct ServeOptions {
  std::string model_dir;
  std::string host = "127.0.0.1";
  int port = 8080;
  int max_batch = 8;       // images per forward pass
  int max_wait_ms = 5;     // how long the batcher waits for more images after the first
  int queue = 64;          // images waiting for the batcher; more are refused with 503
  int threads = 0;         // inference threads (0: all cores)
  std::string api_key;     // empty: no authentication
  size_t max_body = 20u << 20;
  int timeout_ms = 30000;  // per request, from the start of its handler to its answer
};

// The usage text, and the options read from argv (throws vit::Error with a one-line message;
// *help is set when --help was asked and nothing else is read).
const char* usage_text();
ServeOptions parse_options(int argc, char** argv, bool* help);

}  // namespace vit::serve
