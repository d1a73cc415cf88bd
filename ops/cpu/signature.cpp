#include "ops/cpu/signature.h"

#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <map>
#include <mutex>
#include <tuple>

namespace mercury {
namespace {

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

double uniform_open(uint64_t& state) {  // in (0, 1)
  return (static_cast<double>(splitmix64(state) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

uint64_t stream_state(int64_t seed, std::initializer_list<int64_t> keys) {
  uint64_t state = static_cast<uint64_t>(seed);
  for (int64_t v : keys) state ^= splitmix64(state) + static_cast<uint64_t>(v);
  return state;
}

at::Tensor draw_projection(int64_t seed, int64_t layer_id, int64_t k, int64_t bits) {
  uint64_t state = stream_state(seed, {layer_id, k, bits});
  at::Tensor r = at::empty({k, bits}, at::kDouble);
  double* p = r.data_ptr<double>();
  const int64_t count = k * bits;
  for (int64_t i = 0; i < count; i += 2) {  // Box-Muller: two normals per pair of uniforms
    const double radius = std::sqrt(-2.0 * std::log(uniform_open(state)));
    const double angle = 2.0 * M_PI * uniform_open(state);
    p[i] = radius * std::cos(angle);
    if (i + 1 < count) p[i + 1] = radius * std::sin(angle);
  }
  return r;
}

}  // namespace

namespace {

// A tensor made once per key and kept (a model uses few); the cache is emptied when it grows past 1024 entries.
template <typename Key, typename Make>
at::Tensor kept(std::map<Key, at::Tensor>& cache, std::mutex& mutex, const Key& key, Make make) {
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  if (cache.size() >= 1024) cache.clear();
  at::Tensor made = make();
  cache.emplace(key, made);
  return made;
}

using DeviceKey = std::tuple<int, int>;  // device type and index
DeviceKey device_key(at::Device device) { return {static_cast<int>(device.type()), device.index()}; }

}  // namespace

at::Tensor projection_matrix(int64_t seed, int64_t layer_id, int64_t k, int64_t bits, at::ScalarType dtype,
                             at::Device device) {
  // Drawing is cheap but not free on large layers, and a device copy would wait for the device on every call.
  using Key = std::tuple<int64_t, int64_t, int64_t, int64_t, int, DeviceKey>;
  static std::mutex mutex;
  static std::map<Key, at::Tensor> cache;
  return kept(cache, mutex, Key{seed, layer_id, k, bits, static_cast<int>(dtype), device_key(device)},
              [&] { return draw_projection(seed, layer_id, k, bits).to(device, dtype); });
}

std::vector<double> bucket_offsets(int64_t seed, int64_t layer_id, int64_t k, int64_t bits) {
  uint64_t state = stream_state(seed, {layer_id, k, bits, /* a stream apart from the directions' */ 0x6532});
  std::vector<double> offsets(static_cast<size_t>(bits));
  for (double& o : offsets) o = uniform_open(state);
  return offsets;
}

at::Tensor bucket_offsets_tensor(int64_t seed, int64_t layer_id, int64_t k, int64_t bits, at::Device device) {
  using Key = std::tuple<int64_t, int64_t, int64_t, int64_t, DeviceKey>;
  static std::mutex mutex;
  static std::map<Key, at::Tensor> cache;
  return kept(cache, mutex, Key{seed, layer_id, k, bits, device_key(device)}, [&] {
    const std::vector<double> offsets = bucket_offsets(seed, layer_id, k, bits);
    return at::tensor(offsets, at::kDouble).to(device);
  });
}

int64_t sign_chunk_images(const ConvGeometry& g, int64_t units, int64_t bits, const at::Tensor& input) {
  const int64_t budget = input.device().is_cpu() ? int64_t(1) << 20 : int64_t(256) << 20;
  const int64_t per_image = units * bits * g.out_h * g.out_w * input.element_size();
  return std::max<int64_t>(1, budget / std::max<int64_t>(1, per_image));
}

namespace {

// Sign bits of one unit's projections for one image: rows b of `count` projections each, row stride `stride`.
// S is uint32_t when bits <= 32 (lets the compiler vectorise the compare-and-or over positions).
template <typename scalar_t, typename S>
void sign_rows(const scalar_t* rows, int64_t stride, int64_t bits, int64_t count, uint64_t* out) {
  constexpr int64_t kChunk = 512;
  S acc[kChunk];
  for (int64_t j0 = 0; j0 < count; j0 += kChunk) {
    const int64_t len = std::min(kChunk, count - j0);
    for (int64_t j = 0; j < len; ++j) acc[j] = 0;
    for (int64_t b = 0; b < bits; ++b) {
      const scalar_t* row = rows + b * stride + j0;
      for (int64_t j = 0; j < len; ++j) acc[j] |= static_cast<S>(row[j] > scalar_t(0)) << b;
    }
    for (int64_t j = 0; j < len; ++j) out[j0 + j] = acc[j];
  }
}

}  // namespace

void pack_sign_images(const at::Tensor& projections, int64_t units, int64_t bits, int64_t first_image,
                      int64_t positions, uint64_t* sig) {
  const at::Tensor p = projections.contiguous();
  const int64_t n = p.size(0), l = p.size(2);
  AT_DISPATCH_FLOATING_TYPES(p.scalar_type(), "mercury_pack_sign_images", [&] {
    const scalar_t* data = p.data_ptr<scalar_t>();
    at::parallel_for(0, units * n, 1, [&](int64_t begin, int64_t end) {
      for (int64_t task = begin; task < end; ++task) {
        const int64_t u = task / n, i = task % n;
        const scalar_t* rows = data + (i * units * bits + u * bits) * l;
        uint64_t* out = sig + u * positions + (first_image + i) * l;
        if (bits <= 32) sign_rows<scalar_t, uint32_t>(rows, l, bits, l, out);
        else sign_rows<scalar_t, uint64_t>(rows, l, bits, l, out);
      }
    });
  });
}

void pack_signatures(const at::Tensor& projections, int64_t units, int64_t bits, const Options& options,
                     const std::vector<double>& offsets, uint64_t* sig) {
  const at::Tensor p = projections.contiguous();
  const int64_t n = p.size(0), l = p.size(2);
  const bool sign = options.signature == SignatureScheme::Sign;
  AT_DISPATCH_FLOATING_TYPES(p.scalar_type(), "mercury_pack_signatures", [&] {
    const scalar_t* data = p.data_ptr<scalar_t>();
    if (sign) {
      // One task per (unit, image): every task writes its own part of its unit's signatures.
      at::parallel_for(0, units * n, 1, [&](int64_t begin, int64_t end) {
        for (int64_t task = begin; task < end; ++task) {
          const int64_t u = task / n, i = task % n;
          const scalar_t* rows = data + (i * units * bits + u * bits) * l;
          uint64_t* out = sig + (u * n + i) * l;
          if (bits <= 32) sign_rows<scalar_t, uint32_t>(rows, l, bits, l, out);
          else sign_rows<scalar_t, uint64_t>(rows, l, bits, l, out);
        }
      });
      return;
    }
    at::parallel_for(0, units, 1, [&](int64_t begin, int64_t end) {
      for (int64_t u = begin; u < end; ++u) {
        // bucket width = bucket_width x the RMS of this unit's projections in this call
        double squares = 0;
        for (int64_t i = 0; i < n; ++i) {
          const scalar_t* rows = data + (i * units * bits + u * bits) * l;
          for (int64_t e = 0; e < bits * l; ++e) squares += finite_square(static_cast<double>(rows[e]));
        }
        const double inverse_width = e2lsh_inverse_width(squares, n * bits * l, options.bucket_width);
        std::fill(sig + u * n * l, sig + (u + 1) * n * l, kE2lshStart);
        for (int64_t i = 0; i < n; ++i) {
          uint64_t* s = sig + (u * n + i) * l;
          for (int64_t b = 0; b < bits; ++b) {
            const scalar_t* row = data + (i * units * bits + u * bits + b) * l;
            for (int64_t j = 0; j < l; ++j) {
              s[j] = e2lsh_fold(s[j], b, static_cast<double>(row[j]), inverse_width, offsets[b]);
            }
          }
        }
      }
    });
  });
}

at::Tensor project(const at::Tensor& x, const at::Tensor& projection, const ConvGeometry& g, VectorKind vector) {
  const int64_t bits = projection.size(-1);
  const bool patch = vector == VectorKind::Patch;
  const int64_t units = patch ? g.groups : g.c;
  const bool pointwise = g.kernel_h == 1 && g.kernel_w == 1 && g.stride_h == 1 && g.stride_w == 1 && g.pad_h == 0 &&
                         g.pad_w == 0 && units == 1;
  if (pointwise && x.is_contiguous(at::MemoryFormat::ChannelsLast)) {
    // A 1 x 1 conv over channels-last rows (every mercury::linear call): one GEMM of the rows, no copy of them.
    const at::Tensor rows = x.permute({0, 2, 3, 1}).reshape({-1, g.c});
    const at::Tensor p = at::mm(rows, projection.dim() == 3 ? projection[0] : projection);
    return p.view({g.n, g.out_h * g.out_w, bits}).transpose(1, 2);
  }
  const int64_t in_per_filter = patch ? g.c / g.groups : 1;
  at::Tensor filters;
  if (projection.dim() == 3) {
    filters = projection.transpose(1, 2).contiguous().view({units * bits, in_per_filter, g.kernel_h, g.kernel_w});
  } else {
    filters = projection.t().contiguous().view({bits, in_per_filter, g.kernel_h, g.kernel_w});
    if (units > 1) filters = filters.repeat({units, 1, 1, 1});
  }
  const at::Tensor p = at::conv2d(x, filters, {}, {g.stride_h, g.stride_w}, {g.pad_h, g.pad_w},
                                  {g.dilation_h, g.dilation_w}, units);
  return p.reshape({g.n, units * bits, g.out_h * g.out_w});
}

}  // namespace mercury
