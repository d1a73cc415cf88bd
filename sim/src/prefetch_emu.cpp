#include "prefetch_emu.h"

#include <algorithm>

namespace msim {
namespace {

long long ceil_div(long long a, long long b) { return (a + b - 1) / b; }

}  // namespace

EstimateBwBuffer::EstimateBwBuffer(long long sram_words, long long address_space, long long bandwidth)
    : items_per_set_(sram_words / 100), bandwidth_(bandwidth), last_set_(static_cast<size_t>(address_space), -1) {}

void EstimateBwBuffer::slide(long long cycle) {
  if (!active_done_) {
    last_end_ = first_cycle_ - 1 - 1;  // the first buffer-full arrives before the first request (port latency 1)
    last_start_ = last_end_ - ceil_div(sets_prefetch_ * items_per_set_, bandwidth_) + 1;
    prefetch_start_set_ = window_end_ + 1;
    active_done_ = true;
  } else {
    prefetch_start_set_ += sets_prefetch_;
  }
  if (!trace_started_) {
    trace_started_ = true;
    trace_start_ = static_cast<double>(last_start_ + 1);
  }
  window_start_ += sets_prefetch_;
  window_end_ += sets_prefetch_;
  last_start_ = last_end_ + 1;
  last_end_ = cycle;
}

PrefetchResult EstimateBwBuffer::finish() {
  PrefetchResult r;
  r.dram_reads = inserted_;
  if (inserted_ == 0) return r;
  long long last_set = current_set_;
  if (elems_current_ == 0) --last_set;  // an empty set being filled is not counted
  if (!active_done_) {
    const long long end = -1 - 1;
    const long long cycles = ceil_div((last_set + 1) * items_per_set_, bandwidth_);
    r.start_cycle = static_cast<double>(end - cycles + 1 + 1);
    r.stop_cycle = static_cast<double>(end + 1);
  } else {
    r.start_cycle = trace_start_;
    r.stop_cycle = static_cast<double>(last_end_ + 1);
  }
  return r;
}

}  // namespace msim
