#include "operand_schedule.h"

#include "scalesim_constants.h"

namespace msim {

OperandSchedule::OperandSchedule(const Layer& l, const Config& c, Operand operand)
    : R_(c.array_height), K_(l.window()) {
  const long long C = c.array_width, P = l.ofmap_px(), N = l.filters;
  const Mapping m = map_layer(l, c.dataflow);
  row_folds_ = ceil_div(m.sr, R_);
  col_folds_ = ceil_div(m.sc, C);
  const bool ifmap = operand == Operand::Ifmap;
  switch (c.dataflow) {
    case Dataflow::WS:
      stationary_ = !ifmap;
      lane_is_row_ = !ifmap;
      lane_by_row_fold_ = ifmap;
      lanes_ = ifmap ? R_ : C;
      lane_extent_ = ifmap ? K_ : N;
      break;
    case Dataflow::OS:
      stationary_ = false;
      lane_is_row_ = true;
      lane_by_row_fold_ = ifmap;
      lanes_ = ifmap ? R_ : C;
      lane_extent_ = ifmap ? P : N;
      break;
    case Dataflow::IS:
      stationary_ = ifmap;
      lane_is_row_ = ifmap;
      lane_by_row_fold_ = !ifmap;
      lanes_ = ifmap ? C : R_;
      lane_extent_ = ifmap ? P : K_;
      break;
  }
  // Streamed operands pass T elements per lane after R fill rows (ws, is) or at once (os); a stationary one is
  // K deep (its prefetch matrix holds every window index of the lane block).
  time_extent_ = stationary_ ? K_ : m.t;
  skew_ = c.dataflow == Dataflow::OS ? 0 : R_;
}

FoldBlock OperandSchedule::block(long long fr, long long fc) const {
  FoldBlock b;
  const long long first = block_of(fr, fc) * lanes_, last = std::min(lane_extent_, first + lanes_);
  if (stationary_) {  // rows of col fold fc, the K chunk of row fold fr: read once
    b.row_lo = first;
    b.row_hi = last;
    b.k_lo = fr * R_;
    b.k_hi = std::min(K_, fr * R_ + R_);
    b.sequence = fc * row_folds_ + fr;  // unique (an operand's folds are all stationary or all streamed)
    return b;
  }
  // Streamed: the lane block with the whole time axis, the same for every fold of the other kind.
  if (lane_is_row_) {
    b.row_lo = first; b.row_hi = last; b.k_lo = 0; b.k_hi = time_extent_;
  } else {
    b.row_lo = 0; b.row_hi = time_extent_; b.k_lo = first; b.k_hi = last;
  }
  b.sequence = block_of(fr, fc);
  return b;
}

std::vector<FoldBlock> OperandSchedule::folds() const {
  std::vector<FoldBlock> out;
  out.reserve(static_cast<size_t>(row_folds_ * col_folds_));
  for (long long fc = 0; fc < col_folds_; ++fc)
    for (long long fr = 0; fr < row_folds_; ++fr) out.push_back(block(fr, fc));
  return out;
}

}  // namespace msim
