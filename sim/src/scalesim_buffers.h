// Models of SCALE-Sim v2's USER-mode read buffer (memory/read_buffer.py) and its write buffer
// (memory/write_buffer.py), driven row by row by cycle_replay.cpp. CALC-mode read buffer: prefetch_emu.h.
#pragma once

#include "scalesim_constants.h"

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

namespace msim {
namespace buffers {

// memory/read_buffer.py (USER mode).
class ReadBuffer {
 public:
  ReadBuffer(long long sram_words, long long bw, long long address_space)
      : active_(ceil_div(sram_words, 2)), prefetch_(sram_words - ceil_div(sram_words, 2)), bw_(bw),
        eps_(ceil_div(sram_words, kBufferSets)), first_(static_cast<size_t>(address_space + 1), 0) {}

  // entries: the prefetch matrix in order (-1 = empty). Builds the hashed lines (sets of eps_ entries).
  void build(const std::vector<int64_t>& entries) {
    fetch_rows_ = ceil_div(static_cast<long long>(entries.size()), bw_);
    auto walk = [&](auto on) {
      long long line = 0, ctr = 0;
      for (int64_t a : entries) {
        if (a >= 0) {
          on(a, line);
          if (++ctr >= eps_) {
            ++line;
            ctr = 0;
          }
        }
      }
      return line + 1;
    };
    std::vector<long long> last(first_.size(), -1);
    num_lines_ = walk([&](int64_t a, long long line) {
      if (last[a] != line) {
        last[a] = line;
        ++first_[a + 1];
      }
    });
    for (size_t i = 1; i < first_.size(); ++i) first_[i] += first_[i - 1];
    ids_.resize(static_cast<size_t>(first_.back()));
    std::vector<long long> fill(first_.begin(), first_.end() - 1);
    std::fill(last.begin(), last.end(), -1);
    walk([&](int64_t a, long long line) {
      if (last[a] != line) {
        last[a] = line;
        ids_[fill[a]++] = static_cast<int32_t>(line);
      }
    });
    active_lines_ = std::min(ceil_div(active_, eps_), num_lines_);
    prefetch_lines_ = std::min(ceil_div(prefetch_, eps_), num_lines_ - active_lines_);
  }

  // Requests of one demand row arriving at `cycle`; returns the stall (serviced - cycle - hit latency).
  template <class Gen>
  long long service_row(long long cycle, Gen gen) {
    if (!started_) prefetch_active(cycle);
    long long offset = 1;
    gen([&](long long addr) {
      if (addr < 0) return;
      for (long long guard = 0; !hit(addr) && guard <= num_lines_; ++guard) {
        new_prefetch();
        const long long stall = last_prefetch_ - (cycle + offset);
        if (stall > 0) offset += stall;
      }
    });
    return offset - 1;
  }

  long long reads = 0;
  double start = 0, stop = 0;

 private:
  void prefetch_active(long long start_cycle) {
    started_ = true;
    const long long lines = std::min(ceil_div(active_, bw_), fetch_rows_);
    reads += lines * bw_;
    start = static_cast<double>(-lines + start_cycle);
    last_prefetch_ = start_cycle - 1;
    stop = static_cast<double>(last_prefetch_);
    a_start_ = 0;
    a_end_ = active_lines_;
  }
  void new_prefetch() {
    a_start_ = (a_start_ + prefetch_lines_) % num_lines_;
    a_end_ = (a_start_ + active_lines_) % num_lines_;
    const long long lines = ceil_div(prefetch_, bw_);
    reads += lines * bw_;
    last_prefetch_ += lines + 1;
    stop = static_cast<double>(last_prefetch_);
  }
  bool hit(long long addr) const {
    const int32_t* b = ids_.data() + first_[addr];
    const int32_t* e = ids_.data() + first_[addr + 1];
    if (b == e) return true;  // never prefetched: SCALE-Sim would loop forever; count as present
    if (a_start_ < a_end_) {
      const int32_t* it = std::lower_bound(b, e, static_cast<int32_t>(a_start_));
      return it != e && *it < a_end_;
    }
    return *(e - 1) >= a_start_ || *b < a_end_;
  }

  long long active_, prefetch_, bw_, eps_;
  std::vector<long long> first_;
  std::vector<int32_t> ids_;
  long long fetch_rows_ = 0, num_lines_ = 1, active_lines_ = 1, prefetch_lines_ = 0;
  long long a_start_ = 0, a_end_ = 0, last_prefetch_ = -1;
  bool started_ = false;
};

// memory/write_buffer.py.
class WriteBuffer {
 public:
  WriteBuffer(long long sram_words, long long bw)
      : total_(sram_words), active_(ceil_div(sram_words, 2)), drain_(sram_words - ceil_div(sram_words, 2)), bw_(bw),
        free_(sram_words) {}

  long long service_row(long long cycle, long long count) {
    long long current = cycle;
    while (count > 0) {
      // Elements that trigger nothing (write_buffer.py checks after every element) are added in bulk.
      const long long quiet = current < drain_end_ ? free_ - 1 : free_ - active_;
      if (quiet > 0) {
        const long long n = std::min(count, quiet);
        add(n);
        count -= n;
        continue;
      }
      add(1);
      --count;
      if (current < drain_end_) {
        if (free_ <= 0) current = drain_end_;
      } else if (free_ < total_ - drain_) {
        force();
        drain_end_ = drain(current);
      }
    }
    return current;
  }
  // Words service_row takes at `cycle` without starting a drain or stalling (<= 0: none), and the drain's end (until
  // then the buffer is draining): the replay adds such words for many rows at once with add_quiet.
  long long quiet_words(long long cycle) const { return cycle < drain_end_ ? free_ - 1 : free_ - active_; }
  long long drain_end() const { return drain_end_; }
  void add_quiet(long long n) { add(n); }
  void empty_all(long long cycle) {
    force();
    while (drain_start_ < lines_) {
      drain_end_ = drain(cycle);
      cycle = drain_end_ + 1;
    }
  }
  long long writes = 0;
  double start = 0, stop = 0;

 private:
  // Lines are full (bw_ words) except those force() closed early: only those are stored.
  void add(long long n) {
    free_ -= n;
    line_idx_ += n;
    if (line_idx_ >= bw_) {  // usually one line (a row adds at most ArrayWidth words): no division then
      if (line_idx_ < 2 * bw_) {
        ++lines_;
        line_idx_ -= bw_;
      } else {
        lines_ += line_idx_ / bw_;
        line_idx_ %= bw_;
      }
    }
  }
  void force() {
    if (line_idx_ > 0) partial_.emplace_back(lines_++, line_idx_);
    line_idx_ = 0;
  }
  long long line_words(long long index) const {
    auto it = std::lower_bound(partial_.begin(), partial_.end(), std::make_pair(index, 0LL));
    return it != partial_.end() && it->first == index ? it->second : bw_;
  }
  long long drain(long long at) {
    const long long n = std::min(ceil_div(drain_, bw_), lines_ - drain_start_);
    if (n <= 0) return at;
    const long long data = n * bw_ - (bw_ - line_words(drain_start_ + n - 1));
    writes += data;
    if (!started_) {
      started_ = true;
      start = static_cast<double>(at);
    }
    stop = static_cast<double>(at + n - 1);
    free_ += data;
    drain_start_ += n;
    return at + n - 1;
  }
  long long total_, active_, drain_, bw_, free_;
  long long line_idx_ = 0, drain_start_ = 0, drain_end_ = 0;
  long long lines_ = 0;                                   // lines written so far
  std::vector<std::pair<long long, long long>> partial_;  // (line, words) of the lines not full
  bool started_ = false;
};

}  // namespace buffers
}  // namespace msim
