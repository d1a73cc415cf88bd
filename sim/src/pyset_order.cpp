#include "pyset_order.h"

#include <algorithm>

namespace msim {
namespace {

constexpr size_t kLinearProbes = 9;
constexpr int kPerturbShift = 5;
constexpr size_t kMinSize = 8;
constexpr int64_t kEmpty = -1;

// One CPython set table of non-negative integer keys (hash = key): slot search as set_add_entry / set_insert_clean.
class SetTable {
 public:
  SetTable() : slots_(kMinSize, kEmpty) {}

  // set.add(key)
  void add(int64_t key) {
    size_t slot = 0;
    if (find_slot(key, &slot)) return;  // already present
    slots_[slot] = key;
    ++used_;
    const size_t mask = slots_.size() - 1;
    if (used_ * 5 >= mask * 3) resize(used_ > 50000 ? used_ * 2 : used_ * 4);
  }
  const std::vector<int64_t>& slots() const { return slots_; }

 private:
  // The key's slot (true) or the empty slot where it would go (false).
  bool find_slot(int64_t key, size_t* slot) const {
    const size_t mask = slots_.size() - 1;
    size_t perturb = static_cast<size_t>(key), i = static_cast<size_t>(key) & mask;
    while (true) {
      const size_t probes = i + kLinearProbes <= mask ? kLinearProbes : 0;
      for (size_t j = i; j <= i + probes; ++j) {
        if (slots_[j] == kEmpty) {
          *slot = j;
          return false;
        }
        if (slots_[j] == key) {
          *slot = j;
          return true;
        }
      }
      perturb >>= kPerturbShift;
      i = (i * 5 + 1 + perturb) & mask;
    }
  }
  // set_table_resize: the smallest power of two above min_used; live keys re-inserted in old slot order.
  void resize(size_t min_used) {
    size_t size = kMinSize;
    while (size <= min_used) size <<= 1;
    std::vector<int64_t> old(size, kEmpty);
    old.swap(slots_);
    for (int64_t key : old) {
      if (key == kEmpty) continue;
      size_t slot = 0;
      find_slot(key, &slot);
      slots_[slot] = key;
    }
  }

  std::vector<int64_t> slots_;
  size_t used_ = 0;
};

}  // namespace

std::vector<int32_t> set_iteration_positions(const std::vector<int64_t>& keys) {
  SetTable table;
  for (int64_t key : keys) table.add(key);
  std::vector<int64_t> order;
  for (int64_t key : table.slots()) {
    if (key != kEmpty) order.push_back(key);
  }
  std::vector<std::pair<int64_t, int32_t>> rank(order.size());
  for (size_t i = 0; i < order.size(); ++i) rank[i] = {order[i], static_cast<int32_t>(i)};
  std::sort(rank.begin(), rank.end());
  std::vector<int32_t> out(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    out[i] = std::lower_bound(rank.begin(), rank.end(), std::make_pair(keys[i], int32_t{0}))->second;
  }
  return out;
}

}  // namespace msim
