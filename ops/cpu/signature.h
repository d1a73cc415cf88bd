// Random projection with quantization (RPQ): a vector's signature is the sign pattern of its projection
// onto `bits` fixed random directions.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

namespace mercury {

// [k, bits] matrix of N(0, 1) entries drawn from a private splitmix64 stream seeded by
// (seed, layer_id, k, bits): reproducible, and torch's global RNG is never touched.
at::Tensor projection_matrix(int64_t seed, int64_t layer_id, int64_t k, int64_t bits, at::ScalarType dtype);

// Signatures of the vectors held column-wise in `cols` ([N, k, L], im2col layout), in (n, l) order.
// Bit b is set when the projection on direction b is > 0.
std::vector<uint64_t> signatures(const at::Tensor& cols, const at::Tensor& projection);

}  // namespace mercury
