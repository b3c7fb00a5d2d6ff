#include "serve/handlers.h"

#include <chrono>
#include <cstring>

#include <nlohmann/json.hpp>

#include "serve/http_error.h"
#include "serve/page.h"
#include "serve/request_images.h"

namespace vit::serve {

namespace {

using Clock = std::chrono::steady_clock;

// When the request now served by this thread arrived (set before routing, read by the logger).
thread_local Clock::time_point request_start;
thread_local bool request_started = false;

void send_error(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_content(nlohmann::json{{"error", message}}.dump(), "application/json");
}

// The preprocessed images of a request, each a job for the batcher asking for `what`.
std::vector<JobPtr> preprocess(const ServerContext& cx, const httplib::Request& req, unsigned what) {
  const std::vector<ImageBytes> images = request_images(req);
  if (images.size() > static_cast<size_t>(cx.options.queue))
    throw HttpError(413, std::to_string(images.size()) + " images in one request; at most --queue (" +
                             std::to_string(cx.options.queue) + ")");
  std::vector<JobPtr> jobs;
  for (const ImageBytes& image : images) {
    auto job = std::make_shared<ImageJob>();
    try {
      job->pixels = cx.model.preprocess_memory(image.bytes->data(), image.bytes->size(), image.name, &job->height,
                                               &job->width);
    } catch (const std::exception& e) {
      throw HttpError(422, e.what());
    }
    job->what = what;
    jobs.push_back(std::move(job));
  }
  return jobs;
}

// Runs the jobs through the batcher within the request's time limit.
void infer(ServerContext& cx, const std::vector<JobPtr>& jobs) {
  const auto deadline = request_start + std::chrono::milliseconds(cx.options.timeout_ms);
  if (!cx.batcher.submit(jobs)) throw HttpError(503, "the queue is full; retry shortly");
  if (!cx.batcher.wait(jobs, deadline))
    throw HttpError(504, "no answer within --timeout-ms (" + std::to_string(cx.options.timeout_ms) + " ms)");
  for (const JobPtr& job : jobs)
    if (!job->error.empty()) throw HttpError(500, job->error);
}

void classify(ServerContext& cx, const httplib::Request& req, httplib::Response& res) {
  const int classes = cx.model.num_classes();
  if (classes == 0) throw HttpError(400, "this model has no classifier; use /v1/embed");
  const int k = topk_parameter(req, classes);
  const std::vector<JobPtr> jobs = preprocess(cx, req, vitcpp::kLogits);
  infer(cx, jobs);
  nlohmann::json results = nlohmann::json::array();
  for (const JobPtr& job : jobs) {
    nlohmann::json top = nlohmann::json::array();
    for (const vitcpp::Prediction& p : vitcpp::top_k(job->rows.logits.data(), classes, k, cx.labels))
      top.push_back({{"index", p.index}, {"label", p.label}, {"description", p.description}, {"prob", p.probability}});
    results.push_back({{"topk", top}});
  }
  res.set_content(nlohmann::json{{"results", results}}.dump(), "application/json");
}

void embed(ServerContext& cx, const httplib::Request& req, httplib::Response& res) {
  const vitcpp::Output kind = cx.model.embedding_output();
  const std::vector<JobPtr> jobs = preprocess(cx, req, kind);
  infer(cx, jobs);
  const int dim = cx.model.output_size(kind);
  if (req.get_header_value("Accept").find("application/octet-stream") != std::string::npos) {
    std::string raw;  // float32, little-endian like every CPU this engine runs on (x86-64)
    for (const JobPtr& job : jobs)
      raw.append(reinterpret_cast<const char*>(job->rows.of(kind).data()), job->rows.of(kind).size() * sizeof(float));
    res.set_header("X-Embedding-Dim", std::to_string(dim));
    res.set_content(raw, "application/octet-stream");
    return;
  }
  nlohmann::json vectors = nlohmann::json::array();
  for (const JobPtr& job : jobs) vectors.push_back(job->rows.of(kind));
  res.set_content(nlohmann::json{{"embeddings", vectors}, {"dim", dim}}.dump(), "application/json");
}

// Wraps an endpoint so that HttpError and other failures become JSON errors.
httplib::Server::Handler guarded(ServerContext& cx,
                                 void (*endpoint)(ServerContext&, const httplib::Request&, httplib::Response&)) {
  return [&cx, endpoint](const httplib::Request& req, httplib::Response& res) {
    try {
      endpoint(cx, req, res);
    } catch (const HttpError& e) {
      send_error(res, e.status, e.what());
      if (e.status == 503) res.set_header("Retry-After", "1");
    } catch (const std::exception& e) {
      send_error(res, 500, e.what());
    }
  };
}

bool needs_key(const std::string& path) { return path != "/" && path != "/healthz"; }

std::string metric_endpoint(const std::string& path) {
  for (const char* known : {"/", "/healthz", "/metrics", "/v1/classify", "/v1/embed"})
    if (path == known) return path;
  return "other";
}

// Runs before the body is read: stamps the arrival time and checks the API key.
httplib::Server::HandlerResponse before_routing(const ServerContext& cx, const httplib::Request& req,
                                                httplib::Response& res) {
  request_start = Clock::now();
  request_started = true;
  if (cx.options.api_key.empty() || !needs_key(req.path)) return httplib::Server::HandlerResponse::Unhandled;
  const std::string given = req.get_header_value("Authorization");
  if (equal_in_constant_time(given, "Bearer " + cx.options.api_key)) return httplib::Server::HandlerResponse::Unhandled;
  send_error(res, 401, given.empty() ? "missing Authorization: Bearer <key>" : "wrong API key");
  res.set_header("WWW-Authenticate", "Bearer");
  return httplib::Server::HandlerResponse::Handled;
}

void after_response(Metrics& metrics, const httplib::Request& req, const httplib::Response& res) {
  const double seconds = request_started ? std::chrono::duration<double>(Clock::now() - request_start).count() : -1;
  request_started = false;
  metrics.count_request(metric_endpoint(req.path), res.status, seconds);
}

// The message for an answer httplib made itself, before any handler ran.
std::string library_error_message(int status, const std::string& path) {
  switch (status) {
    case 400: return "malformed request (a POST needs a Content-Length or a chunked body)";
    case 404: return "no such endpoint: " + path;
    case 413: return "the body is larger than --max-body";
    default: return "HTTP " + std::to_string(status);
  }
}

}  // namespace

bool equal_in_constant_time(const std::string& a, const std::string& b) {
  const size_t n = std::max(a.size(), b.size());
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

void install_routes(httplib::Server& server, ServerContext& cx) {
  server.set_pre_routing_handler([&cx](const httplib::Request& req, httplib::Response& res) {
    return before_routing(cx, req, res);
  });
  server.set_logger([&cx](const httplib::Request& req, const httplib::Response& res) {
    after_response(cx.metrics, req, res);
  });
  server.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (res.body.empty()) send_error(res, res.status, library_error_message(res.status, req.path));
  });
  server.Post("/v1/classify", guarded(cx, classify));
  server.Post("/v1/embed", guarded(cx, embed));
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("{\"status\":\"ok\"}", "application/json");
  });
  server.Get("/metrics", [&cx](const httplib::Request&, httplib::Response& res) {
    res.set_content(cx.metrics.text(), "text/plain; version=0.0.4");
  });
  server.Get("/", [](const httplib::Request&, httplib::Response& res) { res.set_content(page_html(), "text/html"); });
}

}  // namespace vit::serve
