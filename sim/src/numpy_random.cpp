#include "numpy_random.h"

namespace msim {
namespace {
constexpr int kMiddle = 397;
constexpr uint32_t kMatrixA = 0x9908b0dfU, kUpper = 0x80000000U, kLower = 0x7fffffffU;
}  // namespace

NumpyRandomState::NumpyRandomState(uint32_t seed) {
  for (int i = 0; i < kStateWords; ++i) {
    key_[i] = seed;
    seed = 1812433253U * (seed ^ (seed >> 30)) + static_cast<uint32_t>(i) + 1;
  }
}

uint32_t NumpyRandomState::next32() {
  if (pos_ == kStateWords) {  // regenerate the whole state (mt19937_gen)
    for (int i = 0; i < kStateWords; ++i) {
      const uint32_t y = (key_[i] & kUpper) | (key_[(i + 1) % kStateWords] & kLower);
      key_[i] = key_[(i + kMiddle) % kStateWords] ^ (y >> 1) ^ ((y & 1U) ? kMatrixA : 0U);
    }
    pos_ = 0;
  }
  uint32_t y = key_[pos_++];
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680U;
  y ^= (y << 15) & 0xefc60000U;
  y ^= y >> 18;
  return y;
}

long long NumpyRandomState::randint(long long low, long long high) {
  const uint32_t range = static_cast<uint32_t>(high - 1 - low);  // closed: [0, range]
  if (range == 0) return low;
  uint32_t mask = range;  // the smallest 2^k - 1 >= range
  mask |= mask >> 1;
  mask |= mask >> 2;
  mask |= mask >> 4;
  mask |= mask >> 8;
  mask |= mask >> 16;
  uint32_t v = 0;
  while ((v = next32() & mask) > range) {
  }
  return low + static_cast<long long>(v);
}

}  // namespace msim
