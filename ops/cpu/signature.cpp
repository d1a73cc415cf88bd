#include "ops/cpu/signature.h"

#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>

#include <cmath>
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

at::Tensor draw_projection(int64_t seed, int64_t layer_id, int64_t k, int64_t bits) {
  uint64_t state = static_cast<uint64_t>(seed);
  for (int64_t v : {layer_id, k, bits}) {
    state ^= splitmix64(state) + static_cast<uint64_t>(v);
  }
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

at::Tensor projection_matrix(int64_t seed, int64_t layer_id, int64_t k, int64_t bits, at::ScalarType dtype) {
  // Drawing is cheap but not free on large layers; keep the few matrices a model uses.
  using Key = std::tuple<int64_t, int64_t, int64_t, int64_t, int>;
  static std::mutex mutex;
  static std::map<Key, at::Tensor> cache;
  const Key key{seed, layer_id, k, bits, static_cast<int>(dtype)};
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  if (cache.size() >= 1024) cache.clear();
  at::Tensor r = draw_projection(seed, layer_id, k, bits).to(dtype);
  cache.emplace(key, r);
  return r;
}

std::vector<std::vector<uint64_t>> pack_signatures(const at::Tensor& projections, int64_t units, int64_t bits) {
  const at::Tensor p = projections.contiguous();
  const int64_t n = p.size(0), l = p.size(2);
  std::vector<std::vector<uint64_t>> sig(static_cast<size_t>(units), std::vector<uint64_t>(n * l, 0));
  AT_DISPATCH_FLOATING_TYPES(p.scalar_type(), "mercury_pack_signatures", [&] {
    const scalar_t* data = p.data_ptr<scalar_t>();
    at::parallel_for(0, units, 1, [&](int64_t begin, int64_t end) {
      for (int64_t u = begin; u < end; ++u) {
        for (int64_t i = 0; i < n; ++i) {
          uint64_t* s = sig[u].data() + i * l;
          for (int64_t b = 0; b < bits; ++b) {
            const scalar_t* row = data + (i * units * bits + u * bits + b) * l;
            const uint64_t bit = uint64_t(1) << b;
            for (int64_t j = 0; j < l; ++j) {
              if (row[j] > scalar_t(0)) s[j] |= bit;
            }
          }
        }
      }
    });
  });
  return sig;
}

}  // namespace mercury
