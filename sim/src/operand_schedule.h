// SCALE-Sim v2's placement of one operand on the array, per dataflow (compute/systolic_compute_{ws,os,is}.py),
// written once: the demand rows the replay walks and their counts (cycle_replay.cpp), the USER prefetch matrices
// (cycle_replay.cpp) and the fold blocks of the all-miss proofs and settled folds (all_miss.cpp) all come from here.
//
// A fold puts a block of consecutive indices of one operand-matrix axis on the array's lanes (R rows or C columns).
// The other axis is either streamed (lane j reads time index tt - skew - j in demand row tt: the skew) or, for a
// stationary operand, loaded in the fold's first R rows, bottom array row first (window index fr R + R - 1 - tt).
//
//   dataflow  operand  lanes        lane index       other axis
//   ws        ifmap    R (row fold) window k         ofmap pixels, streamed after R fill rows
//   os        ifmap    R (row fold) ofmap pixel      window k, streamed
//   is        ifmap    C (col fold) ofmap pixel      window k, stationary
//   ws        filter   C (col fold) filter           window k, stationary
//   os        filter   C (col fold) filter           window k, streamed
//   is        filter   R (row fold) window k         filters, streamed after R fill rows
#pragma once

#include "compute.h"

#include <algorithm>
#include <vector>

namespace msim {

enum class Operand { Ifmap, Filter };

// The elements one demand row reads: j = lo .. hi, operand-matrix row (ofmap pixel or filter) row0 + drow j and
// window index k0 + dk j.
struct RowAccess {
  long long lo = 0, hi = -1;
  long long row0 = 0, drow = 0, k0 = 0, dk = 0;
  long long count() const { return hi >= lo ? hi - lo + 1 : 0; }
  long long row(long long j) const { return row0 + drow * j; }
  long long k(long long j) const { return k0 + dk * j; }
};

// A fold's accesses per demand row in closed form: scale * max(0, min(t + 1, a, b, a + b - 1 - t)), t = tt - t0
// (a ramp up, a plateau, a ramp down: a skewed a x b block; a stationary load is a = 1, b rows of `scale`).
struct RowCounts {
  long long t0 = 0, a = 0, b = 0, scale = 0;
  long long at(long long tt) const {
    const long long t = tt - t0;
    return scale * std::max(0LL, std::min({t + 1, a, b, a + b - 1 - t}));
  }
  // Rows with accesses: [first(), end()) (empty when a, b or scale is 0).
  long long first() const { return t0; }
  long long end() const { return a > 0 && b > 0 && scale > 0 ? t0 + a + b - 1 : t0; }
  // The accesses of the rows before tt.
  long long before(long long tt) const {
    if (end() == t0) return 0;
    const long long x = std::min(std::max(tt - t0, 0LL), a + b - 1), m = std::min(a, b), M = std::max(a, b);
    long long sum = 0;
    if (x <= m) {
      sum = x * (x + 1) / 2;
    } else if (x <= M) {
      sum = m * (m + 1) / 2 + (x - m) * m;
    } else {
      const long long u = x - M;  // terms m - 1, m - 2, ..., m - u of the ramp down
      sum = m * (m + 1) / 2 + (M - m) * m + u * m - u * (u + 1) / 2;
    }
    return scale * sum;
  }
  // The largest e in [from, to] with before(e) - before(from) <= budget (the sums grow with e).
  long long last_within(long long from, long long to, long long budget) const {
    const long long base = before(from);
    while (from < to) {
      const long long mid = from + (to - from + 1) / 2;
      if (before(mid) - base <= budget) from = mid;
      else to = mid - 1;
    }
    return from;
  }
};

// The operand-matrix block one fold reads, each element once: rows [row_lo, row_hi) x window indices [k_lo, k_hi).
// Folds with equal sequence ids read the same block in the same order; different ids mean disjoint blocks.
struct FoldBlock {
  long long row_lo = 0, row_hi = 0;
  long long k_lo = 0, k_hi = 0;
  long long sequence = 0;
  long long accesses() const { return (row_hi - row_lo) * (k_hi - k_lo); }
};

class OperandSchedule {
 public:
  OperandSchedule(const Layer& l, const Config& c, Operand operand);

  long long row_folds() const { return row_folds_; }
  long long col_folds() const { return col_folds_; }

  // Demand row tt of fold (fr, fc).
  RowAccess row(long long fr, long long fc, long long tt) const {
    RowAccess a;
    if (stationary_) {  // lane j holds row fc C + j, every lane the same window index
      const long long k = fr * R_ + R_ - 1 - tt;
      if (tt >= R_ || k >= K_) return a;
      a.lo = 0;
      a.hi = std::min(lanes_, lane_extent_ - fc * lanes_) - 1;
      a.row0 = fc * lanes_;
      a.drow = 1;
      a.k0 = k;
      return a;
    }
    const long long first = block_of(fr, fc) * lanes_, t = tt - skew_;  // lane j reads time index t - j
    a.lo = std::max(0LL, t - time_extent_ + 1);
    a.hi = std::min({lanes_ - 1, lane_extent_ - 1 - first, t});
    if (lane_is_row_) {
      a.row0 = first; a.drow = 1; a.k0 = t; a.dk = -1;
    } else {
      a.row0 = t; a.drow = -1; a.k0 = first; a.dk = 1;
    }
    return a;
  }

  // row(fr, fc, tt).count() for every tt of the fold, in closed form.
  RowCounts counts(long long fr, long long fc) const {
    if (stationary_) {
      const long long kc = std::min(R_, K_ - fr * R_);  // window indices of the chunk: rows R - kc .. R - 1
      return {R_ - kc, 1, kc, std::min(lanes_, lane_extent_ - fc * lanes_)};
    }
    return {skew_, std::min(lanes_, lane_extent_ - block_of(fr, fc) * lanes_), time_extent_, 1};
  }

  // The block fold (fr, fc) reads.
  FoldBlock block(long long fr, long long fc) const;
  // Every fold's block in SCALE-Sim's order (col fold outer, row fold inner).
  std::vector<FoldBlock> folds() const;

  // SCALE-Sim's prefetch matrix for USER buffers: one block of time-axis rows x lanes per lane block, stacked, read
  // row by row, or along anti-diagonals for streamed operands (its "roll-out" of the skew). out(row, k) per entry,
  // out(-1, -1) for a lane past the operand.
  template <class Out>
  void walk_prefetch(Out out) const {
    const long long blocks = lane_by_row_fold_ ? row_folds_ : col_folds_, rows = blocks * time_extent_;
    auto entry = [&](long long r, long long j) {
      const long long lane = (r / time_extent_) * lanes_ + j, time = r % time_extent_;
      if (lane >= lane_extent_) return out(-1, -1);
      return lane_is_row_ ? out(lane, time) : out(time, lane);
    };
    if (stationary_) {
      for (long long r = 0; r < rows; ++r)
        for (long long j = 0; j < lanes_; ++j) entry(r, j);
      return;
    }
    for (long long d = 0; d < rows + lanes_; ++d) {
      const long long hi = std::min(d, rows - 1), lo = std::max(0LL, d - lanes_ + 1);
      for (long long r = hi; r >= lo; --r) entry(r, d - r);
    }
  }

 private:
  long long block_of(long long fr, long long fc) const { return lane_by_row_fold_ ? fr : fc; }

  long long R_ = 0, K_ = 0, row_folds_ = 0, col_folds_ = 0;
  bool lane_is_row_ = false, stationary_ = false, lane_by_row_fold_ = false;
  long long lanes_ = 0, lane_extent_ = 0, time_extent_ = 0, skew_ = 0;
};

}  // namespace msim
