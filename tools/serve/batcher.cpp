#include "serve/batcher.h"

#include <algorithm>

namespace vit::serve {

Batcher::Batcher(const vitcpp::Model& model, int max_batch, std::chrono::milliseconds max_wait, size_t queue_limit,
                 std::function<void(int)> on_batch)
    : model_(model),
      max_batch_(max_batch),
      max_wait_(max_wait),
      queue_limit_(queue_limit),
      on_batch_(std::move(on_batch)),
      thread_([this] { loop(); }) {}

Batcher::~Batcher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  queued_.notify_all();
  thread_.join();
}

bool Batcher::submit(const std::vector<JobPtr>& jobs) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (queue_.size() + jobs.size() > queue_limit_) return false;
    queue_.insert(queue_.end(), jobs.begin(), jobs.end());
  }
  queued_.notify_one();
  return true;
}

bool Batcher::wait(const std::vector<JobPtr>& jobs, std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mutex_);
  const auto all_done = [&] { return std::all_of(jobs.begin(), jobs.end(), [](const JobPtr& j) { return j->done; }); };
  if (finished_.wait_until(lock, deadline, all_done)) return true;
  for (const JobPtr& job : jobs) job->abandoned = true;
  queue_.erase(std::remove_if(queue_.begin(), queue_.end(), [](const JobPtr& j) { return j->abandoned; }),
               queue_.end());
  return false;
}

size_t Batcher::queue_depth() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return queue_.size();
}

void Batcher::loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    queued_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left
    const std::vector<JobPtr> batch = take_batch(lock);
    if (batch.empty()) continue;
    lock.unlock();
    run_batch(batch);
    lock.lock();
    for (const JobPtr& job : batch) job->done = true;
    finished_.notify_all();
  }
}

// Waits up to max_wait after the first image for the batch to fill (unless stopping), then
// takes, in queue order, the images of the first one's size and mask.
std::vector<JobPtr> Batcher::take_batch(std::unique_lock<std::mutex>& lock) {
  const auto deadline = std::chrono::steady_clock::now() + max_wait_;
  queued_.wait_until(lock, deadline,
                     [&] { return stopping_ || queue_.size() >= static_cast<size_t>(max_batch_); });
  std::vector<JobPtr> batch;
  if (queue_.empty()) return batch;
  const ImageJob& first = *queue_.front();
  const int height = first.height, width = first.width;
  const unsigned what = first.what;
  for (auto it = queue_.begin(); it != queue_.end() && batch.size() < static_cast<size_t>(max_batch_);) {
    if ((*it)->height == height && (*it)->width == width && (*it)->what == what) {
      batch.push_back(*it);
      it = queue_.erase(it);
    } else {
      ++it;
    }
  }
  return batch;
}

namespace {

// Image b's rows of every output in `all`.
vitcpp::Outputs rows_of(const vitcpp::Outputs& all, int b) {
  vitcpp::Outputs one;
  one.batch = 1;
  one.tokens = all.tokens;
  const auto slice = [&](const std::vector<float>& v, std::vector<float>* out) {
    if (v.empty()) return;
    const size_t per_image = v.size() / static_cast<size_t>(all.batch);
    out->assign(v.begin() + b * per_image, v.begin() + (b + 1) * per_image);
  };
  slice(all.logits, &one.logits);
  slice(all.pre_logits, &one.pre_logits);
  slice(all.features, &one.features);
  slice(all.pooler_output, &one.pooler_output);
  slice(all.image_embeds, &one.image_embeds);
  return one;
}

}  // namespace

void Batcher::run_batch(const std::vector<JobPtr>& batch) {
  const int n = static_cast<int>(batch.size());
  const ImageJob& first = *batch.front();
  std::vector<float> pixels;
  pixels.reserve(first.pixels.size() * batch.size());
  for (const JobPtr& job : batch) pixels.insert(pixels.end(), job->pixels.begin(), job->pixels.end());
  if (on_batch_) on_batch_(n);
  try {
    const vitcpp::Outputs out = model_.run(pixels.data(), pixels.size(), n, first.height, first.width, first.what);
    for (int b = 0; b < n; ++b) batch[b]->rows = rows_of(out, b);
  } catch (const std::exception& e) {
    for (const JobPtr& job : batch) job->error = e.what();
  }
}

}  // namespace vit::serve
