// numpy's legacy RandomState (MT19937), enough of it to draw what SCALE-Sim v3's row-wise sparsity draws
// (operand_matrix.py: np.random.seed(RandomNumberGeneratorSeed), then np.random.randint(1, BlockSize // 2 + 1) per
// filter): init_genrand seeding and randint's masked rejection sampling on 32-bit draws (numpy's
// random_bounded_uint64_fill with use_masked, the only method RandomState uses).
#pragma once

#include <cstdint>

namespace msim {

class NumpyRandomState {
 public:
  explicit NumpyRandomState(uint32_t seed);
  // np.random.randint(low, high): uniform in [low, high), high - low <= 2^32.
  long long randint(long long low, long long high);

 private:
  uint32_t next32();
  static constexpr int kStateWords = 624;
  uint32_t key_[kStateWords];
  int pos_ = kStateWords;
};

}  // namespace msim
