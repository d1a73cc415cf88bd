// What both ops check the same way: the operands' dtypes and devices, and sizes read as int64_t or as SymInt (the
// Meta kernels under symbolic shapes), with checks on symbolic sizes turned into guards.
#pragma once

#include <ATen/ATen.h>

#include <optional>

namespace mercury {

template <typename Int>
Int size_of(const at::Tensor& t, int64_t dim);
template <>
inline int64_t size_of<int64_t>(const at::Tensor& t, int64_t dim) { return t.size(dim); }
template <>
inline c10::SymInt size_of<c10::SymInt>(const at::Tensor& t, int64_t dim) { return t.sym_size(dim); }

inline bool holds(bool condition) { return condition; }
// A check on symbolic sizes becomes a guard of the compiled graph (as ATen's own meta functions do).
inline bool holds(const c10::SymBool& condition) { return condition.guard_bool(__FILE__, __LINE__); }

// input float32 or float64 (bfloat16/float16: the autocast advice), weight and bias of its dtype, weight on its
// device; TORCH_CHECK errors start with `op` ("mercury::conv2d").
void check_operand_types(const char* op, const at::Tensor& input, const at::Tensor& weight,
                         const std::optional<at::Tensor>& bias);

}  // namespace mercury
