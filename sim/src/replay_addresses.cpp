#include "replay_addresses.h"

namespace msim {

OperandAddresses::OperandAddresses(const Layer& l, Operand operand)
    : kind_(operand == Operand::Filter ? Kind::Filter
            : l.windows_in_bounds()    ? Kind::IfmapInBounds
                                       : Kind::IfmapClipped),
      K_(l.window()), H_(l.ifmap_h), W_(l.ifmap_w) {
  if (kind_ == Kind::Filter) {
    words_ = K_ * l.filters;
    return;
  }
  const long long Ch = l.channels, P = l.ofmap_px();
  words_ = H_ * W_ * Ch;
  k_row_.resize(K_);
  k_col_.resize(K_);
  k_off_.resize(K_);
  for (long long k = 0; k < K_; ++k) {
    const long long cr = k / (l.filter_w * Ch), rem = k % (l.filter_w * Ch), cc = rem / Ch, ch = rem % Ch;
    k_row_[k] = cr;
    k_col_[k] = cc;
    k_off_[k] = (cr * W_ + cc) * Ch + ch;
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
