#include "csrc/hitlog/hitlog.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

using mercury::hitlog::HitLog;
using mercury::hitlog::Record;
using mercury::hitlog::Ticket;

namespace {

Record make_record(int64_t layer, int64_t hits, int64_t vectors) {
  Record r;
  r.layer_id = layer;
  r.hits = hits;
  r.misses = vectors - hits;
  r.vectors = vectors;
  r.mode = "observe";
  r.vector_kind = "patch";
  return r;
}

TEST(HitLog, ConcurrentAppendsKeepEveryCount) {
  HitLog& log = HitLog::instance();
  log.reset();
  log.set_capacity(50, 1 << 20);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &log] {
      for (int i = 0; i < 100; ++i) log.append(make_record(t, 3, 10));
    });
  }
  for (auto& th : threads) th.join();
  const auto stored = log.snapshot();
  const auto dropped = log.overflow();
  EXPECT_EQ(stored.size(), 50u);
  int64_t hits = 0, calls = 0;
  for (const auto& r : stored) { hits += r.hits; ++calls; }
  for (const auto& kv : dropped) { hits += kv.second.hits; calls += kv.second.calls; }
  EXPECT_EQ(calls, 400);
  EXPECT_EQ(hits, 1200);
  EXPECT_EQ(log.stats().dropped_calls, 350);
  log.reset();
  log.set_capacity(100000, int64_t(256) << 20);
}

// Records land in the order calls took their places, whichever completes first; an abandoned place leaves no
// record and holds nothing up; a reader waits for the places still open.
TEST(HitLog, RecordsLandInTicketOrder) {
  HitLog& log = HitLog::instance();
  log.reset();
  auto first = std::make_unique<Ticket>();
  auto failed = std::make_unique<Ticket>();
  Ticket third;
  third.complete(make_record(3, 1, 4));
  std::thread late([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    first->complete(make_record(1, 2, 4));
  });
  failed.reset();  // abandoned: the call failed
  const auto stored = log.snapshot();  // waits for `first`
  late.join();
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[0].layer_id, 1);
  EXPECT_EQ(stored[0].seq, 0);
  EXPECT_EQ(stored[1].layer_id, 3);
  EXPECT_EQ(stored[1].seq, 1);
  log.reset();
}

// A reader that empties the log as it goes (take) while calls append on other threads: every call is in one take,
// stored or counted in its overflow, and the log is empty after each take.
TEST(HitLog, TakeWhileOthersAppendLosesNothing) {
  HitLog& log = HitLog::instance();
  log.reset();
  log.set_capacity(40, 1 << 20);
  std::atomic<int> running{4};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &log, &running] {
      for (int i = 0; i < 500; ++i) log.append(make_record(t, 1, 2));
      --running;
    });
  }
  int64_t calls = 0, hits = 0, takes = 0;
  auto count = [&](const mercury::hitlog::Taken& taken) {
    for (const auto& r : taken.records) { hits += r.hits; ++calls; }
    for (const auto& kv : taken.overflow) { hits += kv.second.hits; calls += kv.second.calls; }
    ++takes;
  };
  while (running > 0) count(log.take());
  for (auto& th : threads) th.join();
  count(log.take());
  EXPECT_EQ(calls, 2000);
  EXPECT_EQ(hits, 2000);
  EXPECT_GT(takes, 1);
  EXPECT_EQ(log.stats().stored, 0);
  EXPECT_EQ(log.stats().dropped_calls, 0);
  log.set_capacity(100000, int64_t(256) << 20);
}

}  // namespace
