#include "settled_folds.h"

#include <map>

namespace msim {

SettledFolds::SettledFolds(const std::vector<FoldBlock>& folds) : prev_same_(folds.size(), -1) {
  std::map<long long, long long> last;
  for (size_t f = 0; f < folds.size(); ++f) {
    auto it = last.find(folds[f].sequence);
    if (it != last.end()) prev_same_[f] = it->second;
    last[folds[f].sequence] = static_cast<long long>(f);
  }
}

void SettledFolds::start_fold(long long f, long long inserted) {
  if (prev_same_.empty()) return;
  const long long g = prev_same_[static_cast<size_t>(f)];
  skip_ = g >= 0 && g > last_inserting_;
  skipped_ += skip_;
  inserted_before_ = inserted;
}

void SettledFolds::end_fold(long long f, long long inserted) {
  if (!prev_same_.empty() && inserted != inserted_before_) last_inserting_ = f;
}

}  // namespace msim
