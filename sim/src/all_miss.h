// When SCALE-Sim's CALC-mode read buffer (prefetch_emu.h) misses on every access of an operand, its DRAM reads are
// its SRAM reads and its window slides after every B = 50 floor(words / 100) reads: the replay then only counts
// accesses per row (cycle_replay.cpp) instead of generating and testing each address.
//
// The buffer flushes after every B-th insertion, so an access misses whenever B - 1 or more accesses separate it
// from the previous access to its address (all of those are misses by induction in time order: a flush lies
// between). This file proves that bound from the fold structure alone (operand_schedule.h), conservatively: each
// fold touches its operand-matrix block once per element, in an order that is the same for folds with the same
// sequence id. Two folds can share an address only if they share an element, or (ifmap, filters wider than 1x1)
// if they hold two different K indices of the same channel; folds with the same sequence id put every shared
// address at the same position, n - 1 accesses apart plus the folds between. Any pair closer than B - 1 accesses
// that might share an address, or a fold that might repeat an address inside itself, fails the proof and the
// operand is replayed address by address.
#pragma once

#include "operand_schedule.h"

#include <vector>

namespace msim {

// buffer_words: the operand's SRAM size in words. channels: the layer's channels for the ifmap (K indices k1 != k2
// with k1 = k2 mod channels can alias when the filter is wider than 1x1), 0 for filters (addresses n K + k are
// distinct for distinct elements). taps: filter height x width (1: no aliasing).
bool provably_all_miss(const std::vector<FoldBlock>& folds, long long buffer_words, long long channels, long long taps);

// The two operands of a layer. The ifmap also needs every window inside the ifmap (no -1 addresses).
bool ifmap_all_miss(const Layer& l, const Config& c);
bool filter_all_miss(const Layer& l, const Config& c);

}  // namespace msim
