// vitserve: an HTTP inference server for a model folder (see serve/options.cpp for the usage).
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <new>
#include <thread>

#include <httplib.h>

#include "engine/ops/threading.h"
#include "formats/error.h"
#include "serve/batcher.h"
#include "serve/handlers.h"
#include "serve/listen_backlog.h"
#include "serve/metrics.h"
#include "serve/options.h"
#include "vitcpp/vitcpp.h"

namespace {

using namespace vit::serve;

// SIGTERM and SIGINT are blocked in every thread and taken by one waiting thread, which stops
// the server once it is listening: accepted requests still get their answers.
class ShutdownOnSignal {
 public:
  explicit ShutdownOnSignal(httplib::Server& server) : server_(server) {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGTERM);
    sigaddset(&signals_, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
  }
  void start() { thread_ = std::thread([this] { wait_and_stop(); }); }
  ~ShutdownOnSignal() {
    finished_ = true;
    if (thread_.joinable()) {
      pthread_kill(thread_.native_handle(), SIGTERM);
      thread_.join();
    }
  }

 private:
  void wait_and_stop() {
    int signal = 0;
    sigwait(&signals_, &signal);
    while (!finished_ && !server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (!finished_) server_.stop();
  }

  httplib::Server& server_;
  sigset_t signals_;
  std::atomic<bool> finished_{false};
  std::thread thread_;
};

int serve(const ServeOptions& options) {
  httplib::Server server;
  ShutdownOnSignal shutdown(server);  // before any thread starts, so all inherit the mask
  vitcpp::Model::set_threads(options.threads);
  const auto started = std::chrono::steady_clock::now();
  const vitcpp::Model model = vitcpp::Model::load(options.model_dir, vitcpp::Dtype::Auto, vitcpp::default_packed_cache_dir());
  const double load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  Batcher* batcher_for_metrics = nullptr;
  Metrics metrics(load_seconds, options.max_batch, [&] { return batcher_for_metrics->queue_depth(); });
  Batcher batcher(model, options.max_batch, std::chrono::milliseconds(options.max_wait_ms),
                  static_cast<size_t>(options.queue), [&metrics](int n) { metrics.count_batch(n); });
  batcher_for_metrics = &batcher;
  ServerContext context{model, batcher, metrics, options, {}};
  for (int c = 0; c < model.num_classes(); ++c) context.labels.push_back(model.label(c));
  install_routes(server, context);
  server.set_payload_max_length(options.max_body);
  server.set_tcp_nodelay(true);  // small answers leave at once, not after the peer's delayed ACK
  // Every waiting request holds a thread, so the queue can fill before requests wait unseen.
  const size_t handler_threads = static_cast<size_t>(options.queue) + static_cast<size_t>(options.max_batch);
  server.new_task_queue = [handler_threads] { return new httplib::ThreadPool(handler_threads); };
  const int port = options.port == 0 ? server.bind_to_any_port(options.host) : options.port;
  if (port < 0 || (options.port != 0 && !server.bind_to_port(options.host, port)))
    vit::fail(options.host + ":" + std::to_string(options.port), "cannot listen there (in use, or not an address here)");
  if (!widen_listen_backlog(port)) std::cerr << "vitserve: could not raise the listen backlog (bursts may wait)\n";
  std::cout << "vitserve: serving " << options.model_dir << " on http://" << options.host << ":" << port << "/"
            << std::endl;
  shutdown.start();
  server.listen_after_bind();
  std::cout << "vitserve: stopped" << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  vit::exec_with_engine_environment(argv);
  signal(SIGPIPE, SIG_IGN);  // a client that hangs up must not end the server
  try {
    bool help = false;
    const ServeOptions options = parse_options(argc, argv, &help);
    if (help) {
      std::cout << usage_text();
      return 0;
    }
    return serve(options);
  } catch (const std::bad_alloc&) {
    std::cerr << "vitserve: out of memory while loading the model\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "vitserve: " << e.what() << "\n";
    return 2;
  }
}
