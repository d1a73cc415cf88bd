// Random projection with quantization (RPQ): a vector's signature comes from its projections onto `bits` fixed
// random directions. Scheme sign (the paper's): the sign pattern. Scheme e2lsh: each projection p_b is quantized
// to floor(p_b / (bucket_width * rms) + offset_b), rms = the RMS of the unit's projections in this call, offset_b
// fixed and uniform in [0, 1), and the bucket indices are hashed to 64 bits: a scaled copy or a far-apart vector
// lands in other buckets, while exact repeats still share their signature.
#pragma once

#include "ops/conv2d_options.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace mercury {

// The e2lsh hash, shared by every path that computes signatures (pack_signatures and the NCHW window kernels must
// give the same bits). A vector's hash starts at kE2lshStart and folds in its bucket on each direction b in turn.
constexpr uint64_t kE2lshStart = 0x8445D61A4E774912ULL;

// 1 / (bucket_width x RMS of `count` projections whose squares sum to `squares`); 0 when they are all 0.
inline double e2lsh_inverse_width(double squares, int64_t count, double bucket_width) {
  const double rms = std::sqrt(squares / static_cast<double>(std::max<int64_t>(1, count)));
  return rms > 0 ? 1.0 / (bucket_width * rms) : 0.0;
}

// A projection's square for the RMS of a call's projections: a NaN or Inf projection (an input holding NaN/Inf)
// counts as 0, so one such vector leaves the bucket width of every other vector as it was.
inline double finite_square(double projection) { return std::isfinite(projection) ? projection * projection : 0.0; }

// Folds direction b's bucket, floor(projection x inverse_width + offset), into `hash` (splitmix64's finalizer).
// A bucket that is NaN, infinite or beyond int64 (an input holding NaN/Inf) folds in as one fixed bucket.
inline uint64_t e2lsh_fold(uint64_t hash, int64_t b, double projection, double inverse_width, double offset) {
  const double bucket = std::floor(projection * inverse_width + offset);
  const int64_t index = std::fabs(bucket) < 9.0e18 ? static_cast<int64_t>(bucket) : std::numeric_limits<int64_t>::min();
  const uint64_t salt = 0x9E3779B97F4A7C15ULL * static_cast<uint64_t>(b + 1);
  uint64_t z = hash ^ (static_cast<uint64_t>(index) + salt);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Projections of every streamed vector, computed as one convolution: filter b of unit u is direction b laid out
// like that unit's weights, so output channel u * bits + b at (n, oh, ow) is <vector(u, n, oh, ow), r_b>.
// Returns [N, units * bits, L].
// `projection` is [k, bits] (one for every unit) or [units, k, bits] (svd: one per unit).
at::Tensor project(const at::Tensor& x, const at::Tensor& projection, const ConvGeometry& g, VectorKind vector);

// [k, bits] matrix of N(0, 1) entries drawn from a private splitmix64 stream seeded by
// (seed, layer_id, k, bits): reproducible, and torch's global RNG is never touched. Drawn on the host in double,
// then kept per dtype and device (a device copy made once, not on every call).
at::Tensor projection_matrix(int64_t seed, int64_t layer_id, int64_t k, int64_t bits, at::ScalarType dtype,
                             at::Device device = at::kCPU);

// `bits` offsets uniform in [0, 1) for the e2lsh bucket boundaries, from a private stream like the projection's.
std::vector<double> bucket_offsets(int64_t seed, int64_t layer_id, int64_t k, int64_t bits);
// The same offsets as a float64 tensor on `device` (kept, like the projections).
at::Tensor bucket_offsets_tensor(int64_t seed, int64_t layer_id, int64_t k, int64_t bits, at::Device device);

// Images per projection of the sign scheme, which projects a few images at a time: on the CPU the projections of a
// chunk stay near 1 MB, so the allocator reuses their buffer instead of mapping and faulting in a fresh one on
// every call; on a device, up to 256 MB at a time. The device kernels run the same rule, so on CPU tensors they
// compute the very same projections as the CPU kernels.
int64_t sign_chunk_images(const ConvGeometry& g, int64_t units, int64_t bits, const at::Tensor& input);

// `projections` is [N, units * bits, L]; writes, per unit, the signatures of its N * L vectors in (n, l) order to
// sig[unit * N * L + n * L + l]. Sign: bit b is set when the projection on direction b is > 0. E2lsh and Svd: the
// hash of the bucket indices.
void pack_signatures(const at::Tensor& projections, int64_t units, int64_t bits, const Options& options,
                     const std::vector<double>& offsets, uint64_t* sig);

// Sign scheme only: signatures of images [first_image, first_image + N) of a call of `positions` vectors per unit
// from their projections [N, units * bits, L], written to sig[unit * positions + (first_image + i) * L + l].
void pack_sign_images(const at::Tensor& projections, int64_t units, int64_t bits, int64_t first_image,
                      int64_t positions, uint64_t* sig);

}  // namespace mercury
