// Random projection with quantization (RPQ): a vector's signature comes from its projections onto `bits` fixed
// random directions. Scheme sign (the paper's): the sign pattern. Scheme e2lsh: each projection p_b is quantized
// to floor(p_b / (bucket_width * rms) + offset_b), rms = the RMS of the unit's projections in this call, offset_b
// fixed and uniform in [0, 1), and the bucket indices are hashed to 64 bits: a scaled copy or a far-apart vector
// lands in other buckets, while exact repeats still share their signature.
#pragma once

#include "ops/conv2d_options.h"

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

namespace mercury {

// [k, bits] matrix of N(0, 1) entries drawn from a private splitmix64 stream seeded by
// (seed, layer_id, k, bits): reproducible, and torch's global RNG is never touched.
at::Tensor projection_matrix(int64_t seed, int64_t layer_id, int64_t k, int64_t bits, at::ScalarType dtype);

// `bits` offsets uniform in [0, 1) for the e2lsh bucket boundaries, from a private stream like the projection's.
std::vector<double> bucket_offsets(int64_t seed, int64_t layer_id, int64_t k, int64_t bits);

// `projections` is [N, units * bits, L]; returns, per unit, the signatures of its N * L vectors in (n, l) order.
// Sign: bit b is set when the projection on direction b is > 0. E2lsh and Svd: the hash of the bucket indices.
std::vector<std::vector<uint64_t>> pack_signatures(const at::Tensor& projections, int64_t units, int64_t bits,
                                                   const Options& options, const std::vector<double>& offsets);

// Sign scheme only: signatures of images [first_image, first_image + N) from their projections [N, units * bits, L],
// written into sig[unit][(first_image + i) * L + l] (sig sized by the caller).
void pack_sign_images(const at::Tensor& projections, int64_t units, int64_t bits, int64_t first_image,
                      std::vector<std::vector<uint64_t>>& sig);

}  // namespace mercury
