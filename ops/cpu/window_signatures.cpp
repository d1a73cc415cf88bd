#include "ops/cpu/window_signatures.h"

#include "ops/cpu/signature.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace mercury {
namespace {

constexpr int kBlock = 16;  // output positions per block (one row of registers per projection)

// Sign bits of kBlock positions: bit b of position w is set when sum_k rt[b * taps + k] * xk[k * kBlock + w] > 0
// (sum in tap order, products and sums rounded separately: no FMA, the same result on every target).
// acc[w] = sum_k r[k] * xk[k][w] over kBlock positions, in tap order.
template <typename T>
void block_projection(const T* const* xk, const T* r, int64_t taps, T* acc) {
  for (int w = 0; w < kBlock; ++w) acc[w] = T(0);
  for (int64_t k = 0; k < taps; ++k) {
    for (int w = 0; w < kBlock; ++w) acc[w] += r[k] * xk[k][w];
  }
}

template <typename T>
void sign_block_generic(const T* const* xk, const T* rt, int64_t taps, int64_t bits, uint64_t* s) {
  for (int w = 0; w < kBlock; ++w) s[w] = 0;
  for (int64_t b = 0; b < bits; ++b) {
    T acc[kBlock];
    block_projection(xk, rt + b * taps, taps, acc);
    for (int w = 0; w < kBlock; ++w) {
      if (acc[w] > T(0)) s[w] |= uint64_t(1) << b;
    }
  }
}

#if defined(__x86_64__) || defined(__i386__)
#define MERCURY_HAVE_AVX2_PATH 1
// The SIMD blocks below work on kUnroll projections at once (independent accumulators: the sums over taps are
// latency-bound otherwise). Every projection is summed over the taps in order with fused multiply-adds.
constexpr int kUnroll = 4;

__attribute__((target("avx2,fma"))) void sign_block_avx2(const float* const* xk, const float* rt, int64_t taps,
                                                          int64_t bits, uint64_t* s) {
  alignas(32) uint32_t lo[kBlock] = {}, hi[kBlock] = {};
  const __m256 zero = _mm256_setzero_ps();
  for (int64_t b0 = 0; b0 < bits; b0 += kUnroll) {
    const int nb = static_cast<int>(std::min<int64_t>(kUnroll, bits - b0));
    __m256 a[kUnroll][2];
    for (int u = 0; u < kUnroll; ++u) a[u][0] = a[u][1] = zero;
    for (int64_t k = 0; k < taps; ++k) {
      const __m256 x0 = _mm256_loadu_ps(xk[k]), x1 = _mm256_loadu_ps(xk[k] + 8);
      for (int u = 0; u < kUnroll; ++u) {
        if (u >= nb) break;
        const __m256 rk = _mm256_set1_ps(rt[(b0 + u) * taps + k]);
        a[u][0] = _mm256_fmadd_ps(rk, x0, a[u][0]);
        a[u][1] = _mm256_fmadd_ps(rk, x1, a[u][1]);
      }
    }
    for (int u = 0; u < nb; ++u) {
      const int64_t b = b0 + u;
      const __m256i bit = _mm256_set1_epi32(static_cast<int32_t>(uint32_t(1) << (b & 31)));
      uint32_t* dst = b < 32 ? lo : hi;
      for (int q = 0; q < 2; ++q) {
        const __m256i m = _mm256_castps_si256(_mm256_cmp_ps(a[u][q], zero, _CMP_GT_OQ));
        __m256i* p = reinterpret_cast<__m256i*>(dst + 8 * q);
        _mm256_store_si256(p, _mm256_or_si256(_mm256_load_si256(p), _mm256_and_si256(m, bit)));
      }
    }
  }
  for (int w = 0; w < kBlock; ++w) s[w] = uint64_t(lo[w]) | (uint64_t(hi[w]) << 32);
}

__attribute__((target("avx2,fma"))) void sign_block_avx2(const double* const* xk, const double* rt, int64_t taps,
                                                          int64_t bits, uint64_t* s) {
  alignas(32) uint64_t m[kBlock] = {};
  const __m256d zero = _mm256_setzero_pd();
  for (int64_t b0 = 0; b0 < bits; b0 += 2) {
    const int nb = static_cast<int>(std::min<int64_t>(2, bits - b0));
    __m256d a[2][4];
    for (int u = 0; u < 2; ++u) for (int q = 0; q < 4; ++q) a[u][q] = zero;
    for (int64_t k = 0; k < taps; ++k) {
      for (int u = 0; u < nb; ++u) {
        const __m256d rk = _mm256_set1_pd(rt[(b0 + u) * taps + k]);
        for (int q = 0; q < 4; ++q) a[u][q] = _mm256_fmadd_pd(rk, _mm256_loadu_pd(xk[k] + 4 * q), a[u][q]);
      }
    }
    for (int u = 0; u < nb; ++u) {
      const __m256i bit = _mm256_set1_epi64x(static_cast<int64_t>(uint64_t(1) << (b0 + u)));
      for (int q = 0; q < 4; ++q) {
        const __m256i positive = _mm256_castpd_si256(_mm256_cmp_pd(a[u][q], zero, _CMP_GT_OQ));
        __m256i* p = reinterpret_cast<__m256i*>(m + 4 * q);
        _mm256_store_si256(p, _mm256_or_si256(_mm256_load_si256(p), _mm256_and_si256(positive, bit)));
      }
    }
  }
  for (int w = 0; w < kBlock; ++w) s[w] = m[w];
}

__attribute__((target("avx512f"))) void sign_block_avx512(const float* const* xk, const float* rt, int64_t taps,
                                                          int64_t bits, uint64_t* s) {
  __m512i lo = _mm512_setzero_si512(), hi = lo;
  const __m512 zero = _mm512_setzero_ps();
  constexpr int kU = 8;
  for (int64_t b0 = 0; b0 < bits; b0 += kU) {
    const int nb = static_cast<int>(std::min<int64_t>(kU, bits - b0));
    __m512 a[kU];
    for (int u = 0; u < kU; ++u) a[u] = zero;
    if (nb == kU) {
      for (int64_t k = 0; k < taps; ++k) {
        const __m512 x = _mm512_loadu_ps(xk[k]);
        for (int u = 0; u < kU; ++u) a[u] = _mm512_fmadd_ps(_mm512_set1_ps(rt[(b0 + u) * taps + k]), x, a[u]);
      }
    } else {
      for (int64_t k = 0; k < taps; ++k) {
        const __m512 x = _mm512_loadu_ps(xk[k]);
        for (int u = 0; u < nb; ++u) a[u] = _mm512_fmadd_ps(_mm512_set1_ps(rt[(b0 + u) * taps + k]), x, a[u]);
      }
    }
    for (int u = 0; u < nb; ++u) {
      const int64_t b = b0 + u;
      const __mmask16 positive = _mm512_cmp_ps_mask(a[u], zero, _CMP_GT_OQ);
      const __m512i bit = _mm512_set1_epi32(static_cast<int32_t>(uint32_t(1) << (b & 31)));
      if (b < 32) lo = _mm512_mask_or_epi32(lo, positive, lo, bit);
      else hi = _mm512_mask_or_epi32(hi, positive, hi, bit);
    }
  }
  alignas(64) uint32_t l[kBlock], h[kBlock];
  _mm512_store_si512(l, lo);
  _mm512_store_si512(h, hi);
  for (int w = 0; w < kBlock; ++w) s[w] = uint64_t(l[w]) | (uint64_t(h[w]) << 32);
}

__attribute__((target("avx512f"))) void sign_block_avx512(const double* const* xk, const double* rt, int64_t taps,
                                                          int64_t bits, uint64_t* s) {
  __m512i lo = _mm512_setzero_si512(), hi = lo;
  const __m512d zero = _mm512_setzero_pd();
  constexpr int kU = 4;
  for (int64_t b0 = 0; b0 < bits; b0 += kU) {
    const int nb = static_cast<int>(std::min<int64_t>(kU, bits - b0));
    __m512d a[kU][2];
    for (int u = 0; u < kU; ++u) a[u][0] = a[u][1] = zero;
    for (int64_t k = 0; k < taps; ++k) {
      const __m512d x0 = _mm512_loadu_pd(xk[k]), x1 = _mm512_loadu_pd(xk[k] + 8);
      for (int u = 0; u < nb; ++u) {
        const __m512d rk = _mm512_set1_pd(rt[(b0 + u) * taps + k]);
        a[u][0] = _mm512_fmadd_pd(rk, x0, a[u][0]);
        a[u][1] = _mm512_fmadd_pd(rk, x1, a[u][1]);
      }
    }
    for (int u = 0; u < nb; ++u) {
      const __m512i bit = _mm512_set1_epi64(static_cast<int64_t>(uint64_t(1) << (b0 + u)));
      lo = _mm512_mask_or_epi64(lo, _mm512_cmp_pd_mask(a[u][0], zero, _CMP_GT_OQ), lo, bit);
      hi = _mm512_mask_or_epi64(hi, _mm512_cmp_pd_mask(a[u][1], zero, _CMP_GT_OQ), hi, bit);
    }
  }
  _mm512_storeu_si512(s, lo);
  _mm512_storeu_si512(s + 8, hi);
}

// A whole image of one channel at once, for a fixed number of taps: the directions of kGroup bits stay in registers
// while every block of positions streams past (the per-block kernels above reload them for every block). Same
// sums (tap order, fused multiply-adds) as sign_block_avx512. cols: tap rows of row_len values; lo/hi: row_len
// words, bits 0..31 and 32..63 of each position's signature, zeroed by the caller.
template <int kTaps, int kGroup>
__attribute__((target("avx512f"))) void sign_image_avx512(const float* cols, int64_t row_len, const float* rt,
                                                          int64_t bits, uint32_t* lo, uint32_t* hi) {
  const __m512 zero = _mm512_setzero_ps();
  for (int64_t b0 = 0; b0 < bits; b0 += kGroup) {
    const int nb = static_cast<int>(std::min<int64_t>(kGroup, bits - b0));
    __m512 r[kGroup][kTaps];
    __m512i bit[kGroup];
    uint32_t* dst[kGroup];
    for (int u = 0; u < kGroup; ++u) {
      const int64_t b = b0 + std::min(u, nb - 1);  // unused lanes repeat the last bit: same result, or-ed twice
      for (int k = 0; k < kTaps; ++k) r[u][k] = _mm512_set1_ps(rt[b * kTaps + k]);
      bit[u] = _mm512_set1_epi32(static_cast<int32_t>(uint32_t(1) << (b & 31)));
      dst[u] = b < 32 ? lo : hi;
    }
    for (int64_t l0 = 0; l0 < row_len; l0 += kBlock) {
      __m512 acc[kGroup];
      for (int u = 0; u < kGroup; ++u) acc[u] = zero;
      for (int k = 0; k < kTaps; ++k) {
        const __m512 x = _mm512_loadu_ps(cols + k * row_len + l0);
        for (int u = 0; u < kGroup; ++u) acc[u] = _mm512_fmadd_ps(r[u][k], x, acc[u]);
      }
      for (int u = 0; u < kGroup; ++u) {
        const __mmask16 positive = _mm512_cmp_ps_mask(acc[u], zero, _CMP_GT_OQ);
        __m512i w = _mm512_loadu_si512(dst[u] + l0);
        w = _mm512_mask_or_epi32(w, positive, w, bit[u]);
        _mm512_storeu_si512(dst[u] + l0, w);
      }
    }
  }
}

// 0: generic, 1: avx2 + fma, 2: avx512f.
int simd_level() {
  static const int level = __builtin_cpu_supports("avx512f")                                    ? 2
                           : (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) ? 1
                                                                                               : 0;
  return level;
}
#endif

// Output columns whose tap column j lies inside the input: [first[j], last[j]).
inline void tap_column_bounds(const ConvGeometry& g, int64_t* first, int64_t* last) {
  for (int64_t j = 0; j < g.kernel_w; ++j) {
    int64_t lo = 0;
    while (lo < g.out_w && lo * g.stride_w - g.pad_w + j * g.dilation_w < 0) ++lo;
    int64_t hi = lo;
    while (hi < g.out_w && hi * g.stride_w - g.pad_w + j * g.dilation_w < g.w) ++hi;
    first[j] = lo;
    last[j] = hi;
  }
}

// One image's rows of one channel: tap k = (i, j) gets cols[k * row_len + l] = the input under tap k at position l
// (0 in the padding and past the image's positions).
template <typename T>
void fill_tap_rows(const T* plane, const ConvGeometry& g, const int64_t* first, const int64_t* last, int64_t row_len,
                   T* cols) {
  const int64_t per_image = g.out_h * g.out_w;
  for (int64_t i = 0; i < g.kernel_h; ++i) {
    for (int64_t j = 0; j < g.kernel_w; ++j) {
      T* col = cols + (i * g.kernel_w + j) * row_len;
      const int64_t offset = j * g.dilation_w - g.pad_w;
      for (int64_t oh = 0; oh < g.out_h; ++oh) {
        T* dst = col + oh * g.out_w;
        const int64_t ih = oh * g.stride_h - g.pad_h + i * g.dilation_h;
        if (ih < 0 || ih >= g.h) {
          std::fill(dst, dst + g.out_w, T(0));
          continue;
        }
        const T* src = plane + ih * g.w;
        std::fill(dst, dst + first[j], T(0));
        if (g.stride_w == 1) {
          std::copy(src + first[j] + offset, src + last[j] + offset, dst + first[j]);
        } else {
          for (int64_t ow = first[j]; ow < last[j]; ++ow) dst[ow] = src[ow * g.stride_w + offset];
        }
        std::fill(dst + last[j], dst + g.out_w, T(0));
      }
      std::fill(col + per_image, col + row_len, T(0));
    }
  }
}

// The projections of a block of positions on every direction: proj[w * bits + b] for the `valid` first ones.
template <typename T>
void project_block(const T* const* tap, const T* rt, int64_t taps, int64_t bits, int valid, double* proj) {
  for (int64_t b = 0; b < bits; ++b) {
    T acc[kBlock];
    block_projection(tap, rt + b * taps, taps, acc);
    for (int w = 0; w < valid; ++w) proj[w * bits + b] = static_cast<double>(acc[w]);
  }
}

// kSign: sign bits into sigs; else the projections into proj[pos * bits + b].
// Per image, tap k = (i, j) gets a row cols_k[l] = x[n, c, oh*sh - ph + i*dh, ow*sw - pw + j*dw] over the image's
// positions l = oh * out_w + ow (0 in the padding; zero-filled up to whole blocks); a block of kBlock consecutive
// positions (across output rows, so small feature maps fill the lanes) reads kBlock consecutive values of each.
template <typename T, bool kSign>
void channel_kernel(const T* x, const T* rt, const ConvGeometry& g, int64_t bits, int64_t c, uint64_t* sigs,
                    double* proj) {
  const int64_t taps = g.kernel_h * g.kernel_w;
  const int64_t per_image = g.out_h * g.out_w;
  const int64_t row_len = (per_image + kBlock - 1) / kBlock * kBlock;
  thread_local std::vector<T> cols_buffer;
  thread_local std::vector<const T*> tap_buffer;
  thread_local std::vector<int64_t> bounds_buffer;
  if (cols_buffer.size() < static_cast<size_t>(taps * row_len)) cols_buffer.resize(static_cast<size_t>(taps * row_len));
  if (tap_buffer.size() < static_cast<size_t>(taps)) tap_buffer.resize(static_cast<size_t>(taps));
  bounds_buffer.resize(static_cast<size_t>(2 * g.kernel_w));
  T* cols = cols_buffer.data();
  const T** tap = tap_buffer.data();
  int64_t* first = bounds_buffer.data();
  int64_t* last = first + g.kernel_w;
  tap_column_bounds(g, first, last);
#ifdef MERCURY_HAVE_AVX2_PATH
  const int simd = simd_level();
#endif
  for (int64_t n = 0; n < g.n; ++n) {
    fill_tap_rows(x + (n * g.c + c) * g.h * g.w, g, first, last, row_len, cols);
#ifdef MERCURY_HAVE_AVX2_PATH
    if (kSign && simd == 2 && taps == 9 && std::is_same<T, float>::value) {
      thread_local std::vector<uint32_t> words;
      words.assign(static_cast<size_t>(2 * row_len), 0);
      sign_image_avx512<9, 3>(reinterpret_cast<const float*>(cols), row_len, reinterpret_cast<const float*>(rt),
                              bits, words.data(), words.data() + row_len);
      uint64_t* out = sigs + n * per_image;
      for (int64_t l = 0; l < per_image; ++l) out[l] = uint64_t(words[l]) | (uint64_t(words[row_len + l]) << 32);
      continue;
    }
#endif
    for (int64_t l0 = 0; l0 < per_image; l0 += kBlock) {
      const int64_t pos = n * per_image + l0;
      for (int64_t k = 0; k < taps; ++k) tap[k] = cols + k * row_len + l0;
      const int valid = static_cast<int>(std::min<int64_t>(kBlock, per_image - l0));
      if (kSign) {
        uint64_t s[kBlock];
#ifdef MERCURY_HAVE_AVX2_PATH
        if (simd == 2) sign_block_avx512(tap, rt, taps, bits, s);
        else if (simd == 1) sign_block_avx2(tap, rt, taps, bits, s);
        else
#endif
          sign_block_generic(tap, rt, taps, bits, s);
        for (int w = 0; w < valid; ++w) sigs[pos + w] = s[w];
        continue;
      }
      project_block(tap, rt, taps, bits, valid, proj + pos * bits);
    }
  }
}

void sign_f32_u32(const float* x, const float* rt, const ConvGeometry& g, int64_t bits, int64_t c, uint64_t* sigs) {
  channel_kernel<float, true>(x, rt, g, bits, c, sigs, nullptr);
}
void sign_f32_u64(const float* x, const float* rt, const ConvGeometry& g, int64_t bits, int64_t c, uint64_t* sigs) {
  channel_kernel<float, true>(x, rt, g, bits, c, sigs, nullptr);
}
void sign_f64_u64(const double* x, const double* rt, const ConvGeometry& g, int64_t bits, int64_t c,
                  uint64_t* sigs) {
  channel_kernel<double, true>(x, rt, g, bits, c, sigs, nullptr);
}
void proj_f32(const float* x, const float* rt, const ConvGeometry& g, int64_t bits, int64_t c, double* proj) {
  channel_kernel<float, false>(x, rt, g, bits, c, nullptr, proj);
}
void proj_f64(const double* x, const double* rt, const ConvGeometry& g, int64_t bits, int64_t c, double* proj) {
  channel_kernel<double, false>(x, rt, g, bits, c, nullptr, proj);
}

}  // namespace

bool window_signatures_supported(at::ScalarType dtype) {
  return dtype == at::kFloat || dtype == at::kDouble;
}

void window_signatures(const at::Tensor& x, const at::Tensor& projection_t, const ConvGeometry& g,
                       const Options& options, const std::vector<double>& offsets, int64_t c, uint64_t* sigs,
                       std::vector<double>& scratch) {
  const int64_t bits = options.sig_bits;
  const int64_t positions = g.positions();
  const bool is_float = x.scalar_type() == at::kFloat;
  if (options.signature == SignatureScheme::Sign) {
    if (is_float) {
      if (bits <= 32) sign_f32_u32(x.data_ptr<float>(), projection_t.data_ptr<float>(), g, bits, c, sigs);
      else sign_f32_u64(x.data_ptr<float>(), projection_t.data_ptr<float>(), g, bits, c, sigs);
    } else {
      sign_f64_u64(x.data_ptr<double>(), projection_t.data_ptr<double>(), g, bits, c, sigs);
    }
    return;
  }
  // e2lsh: all projections of the channel first (the bucket width depends on their RMS).
  scratch.resize(static_cast<size_t>(positions * bits));
  double* proj = scratch.data();
  if (is_float) proj_f32(x.data_ptr<float>(), projection_t.data_ptr<float>(), g, bits, c, proj);
  else proj_f64(x.data_ptr<double>(), projection_t.data_ptr<double>(), g, bits, c, proj);
  double squares = 0;
  for (int64_t e = 0; e < positions * bits; ++e) squares += finite_square(proj[e]);
  const double inverse_width = e2lsh_inverse_width(squares, positions * bits, options.bucket_width);
  for (int64_t v = 0; v < positions; ++v) {
    uint64_t s = kE2lshStart;
    const double* p = proj + v * bits;
    for (int64_t b = 0; b < bits; ++b) s = e2lsh_fold(s, b, p[b], inverse_width, offsets[b]);
    sigs[v] = s;
  }
}

}  // namespace mercury
