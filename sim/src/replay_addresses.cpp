#include "replay_addresses.h"

namespace msim {

OperandAddresses::OperandAddresses(const Layer& l, Operand operand)
    : kind_(operand == Operand::Filter ? (l.row_wise_block ? Kind::FilterRowWise
                                           : l.sparse       ? Kind::FilterKept
                                                            : Kind::Filter)
            : l.windows_in_bounds()    ? Kind::IfmapInBounds
                                       : Kind::IfmapClipped),
      K_(l.window()), H_(l.ifmap_h), W_(l.ifmap_w), B_(l.row_wise_block), nonzeros_(l.row_nonzeros) {
  // Row-wise layers keep the whole ifmap (their blocks are read by replay_input.cpp).
  const long long mapped = l.row_wise_block && operand == Operand::Ifmap ? K_ : l.mapped_window();
  if (operand == Operand::Filter) {
    words_ = K_ * l.filters;
    if (kind_ == Kind::FilterKept) {
      k_off_.resize(mapped);
      for (long long j = 0; j < mapped; ++j) k_off_[j] = l.kept_index(j);
    }
    return;
  }
  const long long Ch = l.channels, P = l.ofmap_px();
  words_ = H_ * W_ * Ch;
  k_row_.resize(mapped);
  k_col_.resize(mapped);
  k_off_.resize(mapped);
  for (long long j = 0; j < mapped; ++j) {
    const long long k = l.kept_index(j);
    const long long cr = k / (l.filter_w * Ch), rem = k % (l.filter_w * Ch), cc = rem / Ch, ch = rem % Ch;
    k_row_[j] = cr;
    k_col_[j] = cc;
    k_off_[j] = (cr * W_ + cc) * Ch + ch;
  }
  p_row_.resize(P);
  p_col_.resize(P);
  p_base_.resize(P);
  for (long long p = 0; p < P; ++p) {
    p_row_[p] = (p / l.ofmap_w()) * l.stride_h;
    p_col_[p] = (p % l.ofmap_w()) * l.stride_w;
    p_base_[p] = (p_row_[p] * W_ + p_col_[p]) * Ch;
  }
}

}  // namespace msim
