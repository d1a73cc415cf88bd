#include "prefetch_emu.h"

#include <algorithm>

namespace msim {

EstimateBwBuffer::EstimateBwBuffer(long long sram_words, long long address_space)
    : items_per_set_(sram_words / kBufferSets), last_set_(static_cast<size_t>(address_space), -1) {}

void EstimateBwBuffer::slide(long long cycle) {
  if (!active_done_) {
    last_end_ = first_cycle_ - 1 - 1;  // the first buffer-full arrives before the first request (port latency 1)
    last_start_ = last_end_ - ceil_div(kActiveSets * items_per_set_, kCalcReadBandwidth) + 1;
    trace_start_ = static_cast<double>(last_start_ + 1);
    active_done_ = true;
  }
  window_start_ += kActiveSets;
  window_end_ += kActiveSets;
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
    const long long cycles = ceil_div((last_set + 1) * items_per_set_, kCalcReadBandwidth);
    r.start_cycle = static_cast<double>(end - cycles + 1 + 1);
    r.stop_cycle = static_cast<double>(end + 1);
  } else {
    r.start_cycle = trace_start_;
    r.stop_cycle = static_cast<double>(last_end_ + 1);
  }
  return r;
}

}  // namespace msim
