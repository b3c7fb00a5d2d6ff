// Dynamic batching: request threads queue preprocessed images; one batcher thread stacks the
// images of the same size into one forward pass of at most max_batch images, waiting at most
// max_wait after the first, and hands each image its own rows of the outputs.
#pragma once
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "vitcpp/vitcpp.h"

namespace vit::serve {

// One image in the queue. The batcher fills `rows` (the outputs asked for, this image's part)
// or `error`, then sets `done`.
struct ImageJob {
  std::vector<float> pixels;  // [channels, height, width]
  int height = 0, width = 0;
  unsigned what = 0;  // vitcpp::Output mask
  vitcpp::Outputs rows;
  std::string error;
  bool done = false;
  bool abandoned = false;  // its request timed out: skipped when not yet started
};
using JobPtr = std::shared_ptr<ImageJob>;

class Batcher {
 public:
  // on_batch(images) is told the size of every forward pass (for metrics).
  Batcher(const vitcpp::Model& model, int max_batch, std::chrono::milliseconds max_wait, size_t queue_limit,
          std::function<void(int)> on_batch);
  ~Batcher();  // finishes every queued image, then stops the thread

  // Queues all of `jobs` or none: false when they would overflow the queue.
  bool submit(const std::vector<JobPtr>& jobs);
  // Waits until every job is done or `deadline` passes; on time-out the unstarted ones are
  // abandoned and false is returned.
  bool wait(const std::vector<JobPtr>& jobs, std::chrono::steady_clock::time_point deadline);
  size_t queue_depth() const;

 private:
  void loop();
  std::vector<JobPtr> take_batch(std::unique_lock<std::mutex>& lock);
  void run_batch(const std::vector<JobPtr>& batch);

  const vitcpp::Model& model_;
  const int max_batch_;
  const std::chrono::milliseconds max_wait_;
  const size_t queue_limit_;
  std::function<void(int)> on_batch_;
  mutable std::mutex mutex_;
  std::condition_variable queued_, finished_;
  std::deque<JobPtr> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace vit::serve
