// MERCURY's approximate linear layer from a call's reuse map (sources: for every row, the row whose result it takes;
// itself on a miss). Only the missed rows are multiplied, one GEMM at full GEMM speed (no im2col here); a hit copies
// its source's output row. Backward is the exact gradient of that forward: a row that reused row s's result sends
// its output gradient to s's input, and the weight gradient sees s's data in its place. ATen only: the CPU and the
// device kernels both run it, on whatever device the rows are.
#pragma once

#include <ATen/ATen.h>

#include <optional>
#include <tuple>

namespace mercury {

// The rows [rows, K] of a call, with its reuse map `sources` [1, rows] as the lookups left it, on the host (the
// misses are found there and only their indices go to the rows' device); returns the output rows [rows, N].
at::Tensor linear_reuse_forward(const at::Tensor& rows, const at::Tensor& weight,
                                const std::optional<at::Tensor>& bias, const at::Tensor& sources);

// grad_rows [rows, N]: the gradients of the rows [rows, K] and of the weight. `sources` on the rows' device (as the
// forward returned it); checking it and finding the misses there waits for the device twice.
std::tuple<at::Tensor, at::Tensor> linear_reuse_backward(const at::Tensor& grad_rows, const at::Tensor& rows,
                                                         const at::Tensor& weight, const at::Tensor& sources);

}  // namespace mercury
