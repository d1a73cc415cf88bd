// Models of SCALE-Sim v2's USER-mode read buffer (memory/read_buffer.py) and its write buffer
// (memory/write_buffer.py), driven row by row by cycle_replay.cpp, with SCALE-Sim v3's changes where asked for
// (--compat v3: the stall rule and the drain's stop cycle) and v3's bank model for custom layouts. CALC-mode read
// buffer: prefetch_emu.h.
#pragma once

#include "pyset_order.h"
#include "scalesim_constants.h"

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

namespace msim {
namespace buffers {

// SCALE-Sim v3's banked SRAM for a custom layout (read_buffer.py with enable_layout_evaluation): lines of
// `bandwidth` words, a line's columns split over `banks` banks of bandwidth / banks words; a bank serves `ports`
// lines per cycle, so a demand row touching L distinct lines in its busiest bank waits ceil(L / ports) - 1 cycles.
struct BankModel {
  long long banks = 0, ports = 1;  // banks 0: no bank model (v2's read buffer)
  long long address_offset = 0;    // the operand's *Offset: v3's sets hold the offset addresses (their order too)
};

// memory/read_buffer.py (USER mode). v3_stalls: SCALE-Sim v3's service_reads adds a prefetch's stall to the offset
// twice (and a negative one once: the offset can fall back); v2 adds a positive stall once.
class ReadBuffer {
 public:
  ReadBuffer(long long sram_words, long long bw, long long address_space, bool v3_stalls)
      : active_(ceil_div(sram_words, 2)), prefetch_(sram_words - ceil_div(sram_words, 2)), bw_(bw),
        eps_(ceil_div(sram_words, kBufferSets)), first_(static_cast<size_t>(address_space + 1), 0),
        v3_stalls_(v3_stalls) {}

  // Before build(): v3's banked lines (lines of bw words; v3's layout path keeps v2's stall rule).
  void use_banks(const BankModel& banks) {
    banks_ = banks;
    eps_ = bw_;
    v3_stalls_ = false;
    column_.assign(first_.size() - 1, 0);
  }

  // entries: the prefetch matrix in order (-1 = empty). Builds the hashed lines (sets of eps_ entries).
  void build(const std::vector<int64_t>& entries) {
    if (banks_.banks > 0) find_columns(entries);
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
    row_lines_.clear();
    gen([&](long long addr) {
      if (addr < 0) return;
      long long line = -1;
      for (long long guard = 0; (line = hit(addr)) == -1 && guard <= num_lines_; ++guard) {
        new_prefetch();
        const long long stall = last_prefetch_ - (cycle + offset);
        if (v3_stalls_) offset += stall;
        if (stall > 0) offset += stall;
      }
      if (banks_.banks > 0) row_lines_.emplace_back(column_[addr] / (bw_ / banks_.banks), line);
    });
    if (banks_.banks > 0) offset += ceil_div(busiest_bank_lines(), banks_.ports) - 1;
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
  // The active line holding addr, the first in the window's order as read_buffer.py searches (-1: a miss).
  long long hit(long long addr) const {
    const int32_t* b = ids_.data() + first_[addr];
    const int32_t* e = ids_.data() + first_[addr + 1];
    if (b == e) return kNeverPrefetched;  // SCALE-Sim would loop forever; count as present
    const int32_t* it = std::lower_bound(b, e, static_cast<int32_t>(a_start_));
    if (a_start_ < a_end_) return it != e && *it < a_end_ ? *it : -1;
    if (it != e) return *it;  // the window wraps: lines a_start_ .. num_lines_ - 1 first, then 0 .. a_end_ - 1
    return *b < a_end_ ? *b : -1;
  }
  // Each address's column in its line as v3 finds it (list(line).index(addr)): the line's set iteration order.
  void find_columns(const std::vector<int64_t>& entries) {
    std::vector<int64_t> line;
    auto close_line = [&] {
      const std::vector<int32_t> at = set_iteration_positions(line);
      for (size_t i = 0; i < line.size(); ++i) column_[line[i] - banks_.address_offset] = at[i];
      line.clear();
    };
    for (int64_t a : entries) {
      if (a < 0) continue;
      line.push_back(a + banks_.address_offset);
      if (static_cast<long long>(line.size()) >= eps_) close_line();
    }
    close_line();
  }
  // The most distinct lines one bank serves in the current row.
  long long busiest_bank_lines() {
    std::sort(row_lines_.begin(), row_lines_.end());
    row_lines_.erase(std::unique(row_lines_.begin(), row_lines_.end()), row_lines_.end());
    long long best = 0, run = 0;
    for (size_t i = 0; i < row_lines_.size(); ++i) {
      run = i > 0 && row_lines_[i].first == row_lines_[i - 1].first ? run + 1 : 1;
      best = std::max(best, run);
    }
    return best;
  }

  static constexpr long long kNeverPrefetched = -2;

  long long active_, prefetch_, bw_, eps_;
  std::vector<long long> first_;
  std::vector<int32_t> ids_;
  long long fetch_rows_ = 0, num_lines_ = 1, active_lines_ = 1, prefetch_lines_ = 0;
  long long a_start_ = 0, a_end_ = 0, last_prefetch_ = -1;
  bool started_ = false;
  bool v3_stalls_;
  BankModel banks_;
  std::vector<int32_t> column_;                            // banked: each address's column in its line
  std::vector<std::pair<long long, long long>> row_lines_;  // banked: (bank, line) of the current row's reads
};

// memory/write_buffer.py. v3_stop: SCALE-Sim v3 reports the latest drain cycle (np.amax) as the DRAM stop; v2 the
// last drain's, which the final drains after the last row can start before an earlier drain ended.
class WriteBuffer {
 public:
  WriteBuffer(long long sram_words, long long bw, bool v3_stop)
      : total_(sram_words), active_(ceil_div(sram_words, 2)), drain_(sram_words - ceil_div(sram_words, 2)), bw_(bw),
        free_(sram_words), v3_stop_(v3_stop) {}

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
    stop = v3_stop_ ? std::max(stop, static_cast<double>(at + n - 1)) : static_cast<double>(at + n - 1);
    free_ += data;
    drain_start_ += n;
    return at + n - 1;
  }
  long long total_, active_, drain_, bw_, free_;
  long long line_idx_ = 0, drain_start_ = 0, drain_end_ = 0;
  long long lines_ = 0;                                   // lines written so far
  std::vector<std::pair<long long, long long>> partial_;  // (line, words) of the lines not full
  bool started_ = false;
  bool v3_stop_;
};

}  // namespace buffers
}  // namespace msim
