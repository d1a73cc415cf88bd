// CALC replay shortcut, settled folds: fold f repeats the access sequence of an earlier fold g (same sequence id,
// the nearest one); if no fold from g to f - 1 inserted anything into the operand's buffer, the buffer holds what it
// held at g, so f hits everywhere as g did, and is skipped (only its demand counts remain). Exact for any operand;
// needs every element to have an address (then a row's count says whether it demands anything).
#pragma once

#include "operand_schedule.h"

#include <vector>

namespace msim {

class SettledFolds {
 public:
  SettledFolds() = default;  // off: no fold is skipped
  explicit SettledFolds(const std::vector<FoldBlock>& folds);

  // Fold f starts / ends; `inserted`: the buffer's insertions so far.
  void start_fold(long long f, long long inserted);
  void end_fold(long long f, long long inserted);
  bool skip() const { return skip_; }  // the current fold is settled
  long long skipped() const { return skipped_; }

 private:
  std::vector<long long> prev_same_;  // per fold: the nearest earlier fold with the same sequence id, -1: none
  long long last_inserting_ = -1, inserted_before_ = 0, skipped_ = 0;
  bool skip_ = false;
};

}  // namespace msim
