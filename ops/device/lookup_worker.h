// The host side of device calls whose output does not wait for their MCACHE lookups (observe mode): their lookups
// run on a few host threads while the device goes on with the model, and each task completes its call's place in
// the hit log, so records still land in call order (csrc/hitlog/hitlog.h). Bounded: submit() waits while
// kMaxQueued tasks are queued (the host then paces the device instead of falling ever further behind).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mercury {

class LookupWorker {
 public:
  static constexpr size_t kMaxQueued = 64;
  static LookupWorker& instance();

  // Queues `task`; a task that throws has its message kept for rethrow_failure().
  void submit(std::function<void()> task);
  // Throws (once) the message of a task that failed since the last call.
  void rethrow_failure();

  // Runs what is queued, then stops the threads.
  ~LookupWorker();

 private:
  LookupWorker() = default;
  void start();  // the threads, on the first task (mutex_ held)
  void run();

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::function<void()>> queue_;
  std::vector<std::thread> threads_;
  bool stopping_ = false;
  std::string failure_;
};

}  // namespace mercury
