#include "ops/device/lookup_worker.h"

#include <c10/util/Exception.h>

#include <algorithm>
#include <exception>

namespace mercury {

LookupWorker& LookupWorker::instance() {
  static LookupWorker worker;
  return worker;
}

void LookupWorker::submit(std::function<void()> task) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (threads_.empty()) start();
  changed_.wait(lock, [&] { return queue_.size() < kMaxQueued; });
  queue_.push_back(std::move(task));
  changed_.notify_all();
}

void LookupWorker::rethrow_failure() {
  std::string failure;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    failure.swap(failure_);
  }
  TORCH_CHECK(failure.empty(), "mercury: an earlier call's MCACHE lookups, served on the host after the call "
              "returned (observe mode on a device), failed, and that call left no hit-log record: ", failure);
}

void LookupWorker::start() {
  // A few threads: one call's streams are sequential, so calls in flight are served side by side.
  const unsigned n = std::clamp(std::thread::hardware_concurrency() / 2, 1u, 8u);
  for (unsigned i = 0; i < n; ++i) threads_.emplace_back([this] { run(); });
}

void LookupWorker::run() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left
      task = std::move(queue_.front());
      queue_.pop_front();
      changed_.notify_all();
    }
    try {
      task();
    } catch (const std::exception& e) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (failure_.empty()) failure_ = e.what();
    }
  }
}

LookupWorker::~LookupWorker() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  for (std::thread& t : threads_) t.join();
}

}  // namespace mercury
