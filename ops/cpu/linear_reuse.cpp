#include "ops/cpu/linear_reuse.h"

#include <vector>

namespace mercury {
namespace {

// The missed rows in order, and for every row the index among them of the result it takes.
struct MissSlots {
  at::Tensor misses;  // [misses] row indices
  at::Tensor slot;    // [rows] index into misses
};

MissSlots miss_slots(const at::Tensor& sources) {
  const int64_t rows = sources.size(1);
  const int64_t* src = sources.data_ptr<int64_t>();
  at::Tensor slot = at::empty({rows}, sources.options());
  int64_t* slot_of = slot.data_ptr<int64_t>();
  std::vector<int64_t> misses;
  for (int64_t v = 0; v < rows; ++v) {
    // A source is an earlier miss (or the row itself), so its slot is already known.
    TORCH_CHECK(src[v] >= 0 && src[v] <= v, "mercury::linear: reuse map entry ", v, " is ", src[v],
                " (must be an earlier row or the row itself)");
    if (src[v] == v) {
      slot_of[v] = static_cast<int64_t>(misses.size());
      misses.push_back(v);
    } else {
      slot_of[v] = slot_of[src[v]];
    }
  }
  at::Tensor miss = at::empty({static_cast<int64_t>(misses.size())}, sources.options());
  std::copy(misses.begin(), misses.end(), miss.data_ptr<int64_t>());
  return {miss, slot};
}

}  // namespace

at::Tensor linear_reuse_forward(const at::Tensor& rows, const at::Tensor& weight,
                                const std::optional<at::Tensor>& bias, const at::Tensor& sources) {
  const MissSlots m = miss_slots(sources);
  if (m.misses.size(0) == rows.size(0)) return at::linear(rows, weight, bias);
  return at::linear(rows.index_select(0, m.misses), weight, bias).index_select(0, m.slot);
}

std::tuple<at::Tensor, at::Tensor> linear_reuse_backward(const at::Tensor& grad_rows, const at::Tensor& rows,
                                                         const at::Tensor& weight, const at::Tensor& sources) {
  const MissSlots m = miss_slots(sources);
  // Each missed row's gradient: the sum of the gradients of every row that took its result.
  const at::Tensor grad_misses =
      at::zeros({m.misses.size(0), grad_rows.size(1)}, grad_rows.options()).index_add_(0, m.slot, grad_rows);
  const at::Tensor grad_weight = grad_misses.t().mm(rows.index_select(0, m.misses));
  at::Tensor grad_input = at::zeros_like(rows).index_copy_(0, m.misses, grad_misses.mm(weight));
  return {grad_input, grad_weight};
}

}  // namespace mercury
