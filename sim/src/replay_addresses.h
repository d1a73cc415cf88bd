// SCALE-Sim's operand-matrix addresses (operand_matrix.py), without the offsets, for the replay (cycle_replay.h):
// ifmap (ofmap pixel p, window index k) -> its ifmap word, none where the window reaches past the ifmap edge;
// filter (filter n, window index k) -> n K + k. On v3's sparse array (Layer::sparse) the operand matrices keep only
// the N:M window indices (operand_matrix.py drops the others' ifmap columns and condenses the filter): mapped index
// j stands for window index l.kept_index(j), for both operands.
#pragma once

#include "operand_schedule.h"

#include <memory>
#include <vector>

namespace msim {

class OperandAddresses {
 public:
  OperandAddresses(const Layer& l, Operand operand);

  long long words() const { return words_; }  // addresses are 0 .. words() - 1
  // Whether every element has an address (no window past the ifmap edge, no empty slot of a row-wise filter).
  bool in_bounds() const { return kind_ != Kind::IfmapClipped && kind_ != Kind::FilterRowWise; }
  // The address of operand-matrix row `row` (pixel or filter), window index k; -1: none.
  long long at(long long row, long long k) const {
    if (kind_ == Kind::Filter) return row * K_ + k;
    if (kind_ == Kind::FilterKept) return row * K_ + k_off_[k];
    if (kind_ == Kind::FilterRowWise) return row_wise_filter(row, k);
    if (p_row_[row] + k_row_[k] >= H_ || p_col_[row] + k_col_[k] >= W_) return -1;
    return p_base_[row] + k_off_[k];
  }
  // f(address) for each element of `a` that has an address; true if any had one. One branch per row: the replay
  // calls this for every SRAM read.
  template <class F>
  bool for_each(const RowAccess& a, F&& f) const {
    if (kind_ == Kind::Filter) {
      for (long long j = a.lo; j <= a.hi; ++j) f(a.row(j) * K_ + a.k(j));
      return a.count() > 0;
    }
    if (kind_ == Kind::FilterKept) {
      for (long long j = a.lo; j <= a.hi; ++j) f(a.row(j) * K_ + k_off_[a.k(j)]);
      return a.count() > 0;
    }
    const long long* base = p_base_.data();
    const long long* off = k_off_.data();
    if (kind_ == Kind::IfmapInBounds) {  // pixel base + window offset, straight in
      for (long long j = a.lo; j <= a.hi; ++j) f(base[a.row(j)] + off[a.k(j)]);
      return a.count() > 0;
    }
    bool any = false;  // IfmapClipped, FilterRowWise
    for (long long j = a.lo; j <= a.hi; ++j) {
      const long long addr = at(a.row(j), a.k(j));
      if (addr < 0) continue;
      any = true;
      f(addr);
    }
    return any;
  }

 private:
  enum class Kind { Filter, FilterKept, FilterRowWise, IfmapInBounds, IfmapClipped };
  // v3's condensed row-wise filter (operand_matrix.py): row j of filter n is slot s = j mod (B / 2) of half h of
  // block pair q (j = q B + h B / 2 + s), window index q 2B + h B + s, a weight if s < the filter's nonzeros.
  long long row_wise_filter(long long n, long long j) const {
    const long long half = B_ / 2, s = j % half, k = j / B_ * 2 * B_ + (j % B_) / half * B_ + s;
    return s < (*nonzeros_)[static_cast<size_t>(n)] && k < K_ ? n * K_ + k : -1;
  }
  Kind kind_;
  long long K_, H_, W_, words_;  // K_: the dense window (a filter's row of addresses)
  long long B_ = 0;              // FilterRowWise: BlockSize, and each filter's nonzeros per block
  std::shared_ptr<const std::vector<long long>> nonzeros_;
  // ifmap: per mapped window index its (row, col) in the window and its offset from the window's origin; per pixel
  // its window's origin (row, col) and address. FilterKept: k_off_ = the kept window indices.
  std::vector<long long> k_row_, k_col_, k_off_, p_row_, p_col_, p_base_;
};

}  // namespace msim
