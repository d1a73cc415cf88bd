#include "all_miss.h"

#include "scalesim_constants.h"

#include <algorithm>
#include <unordered_map>
#include <utility>

namespace msim {
namespace {

bool overlap(long long a_lo, long long a_hi, long long b_lo, long long b_hi) {
  return std::max(a_lo, b_lo) < std::min(a_hi, b_hi);
}

// Is there k1 in [a_lo, a_hi) and k2 in [b_lo, b_hi), k1 != k2, k1 = k2 (mod channels)?
bool same_channel_elsewhere(long long a_lo, long long a_hi, long long b_lo, long long b_hi, long long channels) {
  if (a_hi - a_lo > b_hi - b_lo) return same_channel_elsewhere(b_lo, b_hi, a_lo, a_hi, channels);
  if (a_hi - a_lo >= 2 * channels) return true;  // then every channel occurs twice in the shorter range already
  for (long long k1 = a_lo; k1 < a_hi; ++k1) {
    const long long ch = k1 % channels;
    long long k2 = b_lo + (((ch - b_lo) % channels) + channels) % channels;  // first k2 >= b_lo of that channel
    if (k2 == k1) k2 += channels;
    if (k2 < b_hi) return true;
  }
  return false;
}

}  // namespace

bool provably_all_miss(const std::vector<FoldBlock>& folds, long long buffer_words, long long channels, long long taps) {
  const long long B = calc_window_insertions(buffer_words);
  if (B <= 1) return false;
  const bool aliasing = channels > 0 && taps > 1;  // distinct K indices of one channel may meet at one address
  std::vector<long long> before(folds.size() + 1, 0);  // accesses of the folds before fold i
  for (size_t i = 0; i < folds.size(); ++i) before[i + 1] = before[i] + folds[i].accesses();
  // K ranges repeat (chunks of R): the channel test depends on the pair of ranges only.
  struct PairHash {
    size_t operator()(const std::pair<long long, long long>& p) const {
      return std::hash<long long>()(p.first * 0x9E3779B97F4A7C15LL ^ p.second);
    }
  };
  std::unordered_map<std::pair<long long, long long>, bool, PairHash> alias_memo;
  auto alias = [&](const FoldBlock& a, const FoldBlock& b) {
    auto [it, fresh] = alias_memo.try_emplace({a.k_lo, b.k_lo}, false);
    if (fresh) it->second = same_channel_elsewhere(a.k_lo, a.k_hi, b.k_lo, b.k_hi, channels);
    return it->second;
  };
  std::unordered_map<long long, size_t> last_of_sequence;
  for (size_t f = 0; f < folds.size(); ++f) {
    const FoldBlock& a = folds[f];
    if (aliasing && alias(a, a)) return false;  // one fold might read an address twice
    // The nearest earlier fold with the same block: every shared address n - 1 accesses apart plus the folds
    // between (earlier ones are farther still).
    auto seen = last_of_sequence.find(a.sequence);
    if (seen != last_of_sequence.end()) {
      const size_t g = seen->second;
      if (folds[g].accesses() - 1 + (before[f] - before[g + 1]) < B - 1) return false;
    }
    last_of_sequence[a.sequence] = f;
    // Other blocks within reach (fewer than B - 1 accesses between): the generators above make blocks of
    // different sequence ids disjoint, so they share an address only through aliasing; checked anyway.
    if (!aliasing) continue;
    for (size_t g = f; g-- > 0 && before[f] - before[g + 1] < B - 1;) {
      const FoldBlock& b = folds[g];
      if (b.sequence == a.sequence) continue;
      if ((overlap(a.row_lo, a.row_hi, b.row_lo, b.row_hi) && overlap(a.k_lo, a.k_hi, b.k_lo, b.k_hi)) ||
          alias(a, b)) {
        return false;  // might share an address within B - 1 accesses
      }
    }
  }
  return true;
}

bool ifmap_all_miss(const Layer& l, const Config& c) {
  // Windows reaching past the ifmap edge (SCALE-Sim's ceil ofmap formula) give -1 addresses: not counted here.
  // On the sparse array mapped window indices are not consecutive channels: the aliasing rule below does not hold.
  if (!l.windows_in_bounds() || l.sparse) return false;
  return provably_all_miss(OperandSchedule(l, c, Operand::Ifmap).folds(), c.ifmap_sram_kb * 1024, l.channels,
                           l.filter_h * l.filter_w);
}

bool filter_all_miss(const Layer& l, const Config& c) {
  if (l.row_wise_block) return false;  // its empty slots (-1) are not accesses
  return provably_all_miss(OperandSchedule(l, c, Operand::Filter).folds(), c.filter_sram_kb * 1024, 0, 1);
}

}  // namespace msim
