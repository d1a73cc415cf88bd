// Where CPython's set puts integer keys, for SCALE-Sim v3's bank model: read_buffer.py finds an address's column in
// its line as list(line_set).index(addr), i.e. its position in the set's iteration (slot) order, and the bank from
// that column. Objects/setobject.c (CPython 3.7-3.12): open addressing from hash & mask, 9 linear probes, then
// perturbed jumps; the table starts at 8 slots and grows to the power of two above 4 x used once fill x 5 >= mask x 3.
// A float or int key with an integer value v, 0 <= v < 2^61 - 1, hashes to v.
#pragma once

#include <cstdint>
#include <vector>

namespace msim {

// keys in insertion order (set.add); returns for each its index in list(set). Repeated keys take the first's index.
std::vector<int32_t> set_iteration_positions(const std::vector<int64_t>& keys);

}  // namespace msim
