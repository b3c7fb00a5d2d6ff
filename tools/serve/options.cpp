#include "serve/options.h"

#include <fstream>
#include <sstream>

#include "command_line.h"
#include "formats/error.h"

namespace vit::serve {

namespace {

constexpr const char* kUsage = R"(usage: vitserve --model DIR [options]

Serves a model folder (anything vitrun runs) over HTTP:
  POST /v1/classify   image bytes, or multipart/form-data with "image" parts; ?topk=K
  POST /v1/embed      the same inputs; JSON vectors, or raw float32 with
                      Accept: application/octet-stream
  GET  /healthz       GET /metrics (Prometheus)       GET / (a page to try images)

  --host ADDR         address to bind (default 127.0.0.1)
  --port N            port (default 8080; 0 picks a free one, printed on start)
  --max-batch N       images per forward pass (default 8)
  --max-wait-ms MS    wait after the first queued image for more (default 5)
  --queue N           images waiting at most; more get 503 (default 64)
  --threads N         inference threads (default: all cores; at most 4 per core)
  --api-key-file FILE require "Authorization: Bearer <key>" (the file's first line) on
                      /v1/* and /metrics
  --max-body BYTES    largest request body (default 20971520); larger get 413
  --timeout-ms MS     answer 504 when a request takes longer (default 30000)
  -h, --help          this text
)";

int positive(const CommandLine& cl, const std::string& flag, int fallback, int minimum) {
  const int value = cl.get_int(flag, fallback);
  if (value < minimum) fail("", flag + " must be at least " + std::to_string(minimum));
  return value;
}

std::string read_api_key(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail(path, "cannot read the API key file");
  std::string key;
  std::getline(in, key);
  while (!key.empty() && (key.back() == '\r' || key.back() == ' ' || key.back() == '\t')) key.pop_back();
  if (key.empty()) fail(path, "the API key file's first line is empty");
  return key;
}

size_t body_limit(const CommandLine& cl) {
  if (!cl.has("--max-body")) return ServeOptions().max_body;
  const std::string text = cl.get("--max-body");
  size_t used = 0;
  unsigned long long value = 0;
  try {
    value = std::stoull(text, &used);
  } catch (const std::exception&) {
  }
  if (used != text.size() || text.empty() || text[0] == '-' || value == 0)
    fail("", "--max-body needs a positive byte count, got \"" + text + "\"");
  return static_cast<size_t>(value);
}

}  // namespace

const char* usage_text() { return kUsage; }

ServeOptions parse_options(int argc, char** argv, bool* help) {
  CommandLine cl(argc, argv, kUsage,
                 {"--model", "--host", "--port", "--max-batch", "--max-wait-ms", "--queue", "--threads",
                  "--api-key-file", "--max-body", "--timeout-ms"},
                 {});
  ServeOptions o;
  *help = cl.help();
  if (*help) return o;
  if (!cl.positional().empty()) fail("", "unexpected argument \"" + cl.positional()[0] + "\" (see --help)");
  if (!cl.has("--model")) fail("", "--model is required (see --help)");
  o.model_dir = cl.get("--model");
  o.host = cl.get("--host", o.host);
  o.port = positive(cl, "--port", o.port, 0);
  if (o.port > 65535) fail("", "--port must be at most 65535");
  o.max_batch = positive(cl, "--max-batch", o.max_batch, 1);
  o.max_wait_ms = positive(cl, "--max-wait-ms", o.max_wait_ms, 0);
  o.queue = positive(cl, "--queue", o.queue, 1);
  o.threads = positive(cl, "--threads", o.threads, 0);
  o.timeout_ms = positive(cl, "--timeout-ms", o.timeout_ms, 1);
  o.max_body = body_limit(cl);
  if (cl.has("--api-key-file")) o.api_key = read_api_key(cl.get("--api-key-file"));
  return o;
}

}  // namespace vit::serve
