#include "ops/device/device_signatures.h"

#include "ops/cpu/reuse_support.h"
#include "ops/cpu/signature.h"
#include "ops/cpu/weight_subspace.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

namespace mercury {
namespace {

// Two's-complement reading of a 64-bit constant (tensor arithmetic on int64 wraps like uint64's).
int64_t as_signed(uint64_t value) { return static_cast<int64_t>(value); }

// z >> s as an unsigned shift: the arithmetic shift with the sign bits masked off.
at::Tensor shift_right(const at::Tensor& z, int64_t s) {
  return at::bitwise_and(at::bitwise_right_shift(z, s), (int64_t(1) << (64 - s)) - 1);
}

// Sign scheme: bit b of a vector's signature is set when its projection on direction b is > 0. `p` is
// [n, units * bits, L]; returns [n, units, L].
at::Tensor sign_bits(const at::Tensor& p, int64_t units, int64_t bits) {
  const at::Tensor positive = p.reshape({p.size(0), units, bits, p.size(2)}).gt(0).to(at::kLong);
  const at::TensorOptions on = positive.options();
  const at::Tensor w = at::bitwise_left_shift(at::ones({bits}, on), at::arange(bits, on)).view({1, 1, bits, 1});
  return (positive * w).sum(2);  // distinct bits: the sum is their or, bit 63 included
}

// E2lsh and svd: each projection's bucket, floor(p / (bucket_width * rms) + offset_b), rms over the unit's
// projections in this call (NaN/Inf projections count as 0), hashed in direction order by e2lsh_fold's steps.
// `p` is [n, units * bits, L]; returns [n, units, L].
at::Tensor bucket_hashes(const at::Tensor& p, int64_t units, int64_t bits, double bucket_width,
                         const at::Tensor& offsets) {
  const at::Tensor x = p.reshape({p.size(0), units, bits, p.size(2)}).to(at::kDouble);
  const at::Tensor finite = x.isfinite();
  const at::Tensor squares = at::where(finite, x * x, 0.0).sum({0, 2, 3});
  const double count = static_cast<double>(std::max<int64_t>(1, p.size(0) * bits * p.size(2)));
  const at::Tensor rms = (squares / count).sqrt();
  const at::Tensor inverse = at::where(rms > 0, 1.0 / (rms * bucket_width), 0.0).view({1, units, 1, 1});
  const at::Tensor bucket = (x * inverse + offsets.view({1, 1, bits, 1})).floor();
  // A bucket that is NaN, infinite or beyond int64 (an input holding NaN/Inf) is one fixed bucket.
  const at::Tensor in_range = bucket.abs() < 9.0e18;
  const at::Tensor index = at::where(in_range, at::where(in_range, bucket, 0.0).to(at::kLong),
                                     std::numeric_limits<int64_t>::min());
  at::Tensor hash = at::full({p.size(0), units, p.size(2)}, as_signed(kE2lshStart), index.options());
  for (int64_t b = 0; b < bits; ++b) {
    const uint64_t salt = 0x9E3779B97F4A7C15ULL * static_cast<uint64_t>(b + 1);
    at::Tensor z = at::bitwise_xor(hash, index.select(2, b) + as_signed(salt));
    z = at::bitwise_xor(z, shift_right(z, 30)) * as_signed(0xBF58476D1CE4E5B9ULL);
    z = at::bitwise_xor(z, shift_right(z, 27)) * as_signed(0x94D049BB133111EBULL);
    hash = at::bitwise_xor(z, shift_right(z, 31));
  }
  return hash;
}

// [n, units, L] -> [units, n * L]
at::Tensor by_unit(const at::Tensor& s) { return s.permute({1, 0, 2}).reshape({s.size(1), -1}); }

}  // namespace

at::Tensor device_signatures(const Conv2dCall& call, const ConvGeometry& g) {
  const Options& o = call.options;
  const at::Tensor& input = call.input;
  const UnitLayout u = unit_layout(g, o.vector_kind);
  if (g.positions() == 0) return at::empty({u.units, 0}, input.options().dtype(at::kLong));
  const at::Tensor projection =
      o.signature == SignatureScheme::Svd
          ? tracked_weight_directions(call.weight, g.groups, o.vector_kind, o.sig_bits)
          : projection_matrix(o.seed, o.layer_id, u.width, o.sig_bits, input.scalar_type(), input.device());
  if (o.signature != SignatureScheme::Sign) {
    const at::Tensor offsets = bucket_offsets_tensor(o.seed, o.layer_id, u.width, o.sig_bits, input.device());
    return by_unit(bucket_hashes(project(input, projection, g, o.vector_kind), u.units, o.sig_bits,
                                 o.bucket_width, offsets));
  }
  const int64_t chunk = sign_chunk_images(g, u.units, o.sig_bits, input);
  std::vector<at::Tensor> parts;
  for (int64_t i = 0; i < g.n; i += chunk) {
    ConvGeometry part = g;
    part.n = std::min(chunk, g.n - i);
    parts.push_back(sign_bits(project(input.narrow(0, i, part.n), projection, part, o.vector_kind), u.units,
                              o.sig_bits));
  }
  return by_unit(parts.size() == 1 ? parts[0] : at::cat(parts, 0));
}

}  // namespace mercury
