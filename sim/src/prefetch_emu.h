// SCALE-Sim v2's CALC-mode read buffer (memory/read_buffer_estimate_bw.py), fed by cycle_replay.cpp with the
// operand's demand addresses in SCALE-Sim's order. Its "sets" buffer: the SRAM is split into 100 sets of
// floor(words / 100) unique addresses; an address is a hit while it belongs to a set of the active window
// (50 sets, the active half) or to the set being filled; every miss is one DRAM read. One integer per address
// (the newest set it went into) makes a hit test one compare; no trace is stored.
#pragma once

#include "scalesim_constants.h"

#include <cstddef>
#include <vector>

namespace msim {

struct PrefetchResult {
  long long dram_reads = 0;
  double start_cycle = 0, stop_cycle = 0;  // first / last DRAM response cycle, as DETAILED_ACCESS_REPORT
};

class EstimateBwBuffer {
 public:
  // sram_words: the SRAM's size in words (1-byte words); address_space: addresses are 0 .. address_space-1.
  EstimateBwBuffer(long long sram_words, long long address_space);
  // Inline: the replay calls this once per SRAM read (hundreds of millions on ResNet-101).
  __attribute__((always_inline)) void access(long long cycle, long long addr) {
    if (!first_seen_) {
      first_seen_ = true;
      first_cycle_ = cycle;
    }
    int& last = last_set_[static_cast<size_t>(addr)];
    if (last >= window_start_) return;  // in a set of the active window, or in the set being filled
    last = static_cast<int>(current_set_);
    ++inserted_;
    if (++elems_current_ == items_per_set_) {
      elems_current_ = 0;
      if (++current_set_ == window_end_ + 1) slide(cycle);
    }
  }
  // n accesses at `cycle` that all miss (all_miss.h proved it): the same counters and slides as n access() calls
  // with new addresses, without an address.
  void bulk_misses(long long cycle, long long n) {
    if (n <= 0) return;
    if (!first_seen_) {
      first_seen_ = true;
      first_cycle_ = cycle;
    }
    inserted_ += n;
    while (n > 0) {
      const long long room = items_per_set_ - elems_current_;
      if (n < room) {
        elems_current_ += n;
        return;
      }
      n -= room;
      elems_current_ = 0;
      if (++current_set_ == window_end_ + 1) slide(cycle);
    }
  }
  long long inserted() const { return inserted_; }
  // Insertions until the window slides (the last of them slides it).
  long long insertions_before_slide() const { return (window_end_ + 1 - current_set_) * items_per_set_ - elems_current_; }
  PrefetchResult finish();

 private:
  void slide(long long cycle);
  long long items_per_set_;
  std::vector<int> last_set_;  // the newest set an address was put in, -1: never
  long long current_set_ = 0, elems_current_ = 0, window_start_ = 0, window_end_ = kActiveSets - 1;
  bool first_seen_ = false, active_done_ = false;
  long long first_cycle_ = 0;
  long long last_start_ = -2, last_end_ = -1;
  double trace_start_ = 0;
  long long inserted_ = 0;
};

}  // namespace msim
