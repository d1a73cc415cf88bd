#include "operand_schedule.h"

#include "scalesim_constants.h"

namespace msim {

OperandSchedule::OperandSchedule(const Layer& l, const Config& c, Operand operand)
    : R_(c.array_height), K_(l.mapped_window()) {
  const long long C = c.array_width, P = l.ofmap_px(), N = l.filters;
  const Mapping m = map_layer(l, c.dataflow);
  row_folds_ = ceil_div(m.sr, R_);
  col_folds_ = ceil_div(m.sc, C);
  // The table in operand_schedule.h as rules: ws holds the filter stationary, is the ifmap, os neither; the ifmap's
  // lanes are the array rows (R, row folds) except in is, the filter's the columns except in is; a lane holds an
  // operand-matrix row (a pixel or a filter) exactly when the operand is stationary or the dataflow is os, else a
  // window index.
  const bool ifmap = operand == Operand::Ifmap;
  stationary_ = (c.dataflow == Dataflow::WS && !ifmap) || (c.dataflow == Dataflow::IS && ifmap);
  lane_by_row_fold_ = c.dataflow == Dataflow::IS ? !ifmap : ifmap;
  lane_is_row_ = stationary_ || c.dataflow == Dataflow::OS;
  lanes_ = lane_by_row_fold_ ? R_ : C;
  lane_extent_ = lane_is_row_ ? (ifmap ? P : N) : K_;
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
