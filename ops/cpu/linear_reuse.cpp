#include "ops/cpu/linear_reuse.h"

#include <vector>

namespace mercury {
namespace {

// The missed rows in order, and for every row the index among them of the result it takes.
struct MissSlots {
  at::Tensor misses;  // [misses] row indices
  at::Tensor slot;    // [rows] index into misses
};

// From a host reuse map, by one walk over it.
MissSlots host_miss_slots(const at::Tensor& sources) {
  const at::Tensor host = sources.contiguous();
  const int64_t rows = host.size(1);
  const int64_t* src = host.data_ptr<int64_t>();
  at::Tensor slot = at::empty({rows}, host.options());
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
  at::Tensor miss = at::empty({static_cast<int64_t>(misses.size())}, host.options());
  std::copy(misses.begin(), misses.end(), miss.data_ptr<int64_t>());
  return {miss, slot};
}

// From a reuse map on any device, with tensor operations: a miss is its own source, and the rank of a row's source
// among the misses is the number of misses up to it.
MissSlots miss_slots(const at::Tensor& sources) {
  const at::Tensor src = sources[0];
  const at::Tensor rows = at::arange(src.size(0), src.options());
  const at::Tensor bad = (src < 0) | (src > rows);
  if (bad.any().item<bool>()) {
    const int64_t v = bad.nonzero()[0][0].item<int64_t>();
    TORCH_CHECK(false, "mercury::linear: reuse map entry ", v, " is ", src[v].item<int64_t>(),
                " (must be an earlier row or the row itself)");
  }
  const at::Tensor is_miss = src == rows;
  const at::Tensor rank = is_miss.cumsum(0) - 1;
  return {is_miss.nonzero().squeeze(1), rank.index_select(0, src)};
}

}  // namespace

at::Tensor linear_reuse_forward(const at::Tensor& rows, const at::Tensor& weight,
                                const std::optional<at::Tensor>& bias, const at::Tensor& sources) {
  const MissSlots m = host_miss_slots(sources);
  if (m.misses.size(0) == rows.size(0)) return at::linear(rows, weight, bias);
  const at::Tensor misses = m.misses.to(rows.device(), /*non_blocking=*/true);
  const at::Tensor slot = m.slot.to(rows.device(), /*non_blocking=*/true);
  return at::linear(rows.index_select(0, misses), weight, bias).index_select(0, slot);
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
