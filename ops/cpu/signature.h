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

// Packs sign bits: `projections` is [N, units * bits, L]; returns, per unit, the signatures of its N * L
// vectors in (n, l) order. Bit b is set when the projection on direction b is > 0.
std::vector<std::vector<uint64_t>> pack_signatures(const at::Tensor& projections, int64_t units, int64_t bits);

}  // namespace mercury
