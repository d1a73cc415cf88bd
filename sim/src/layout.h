// SCALE-Sim v3's layout file (-l; layout_utils.py, operand_matrix.get_*_prefetch_matrix_custom_layout): per layer,
// the order in which the ifmap and filter SRAMs hold their operand with [layout] *CustomLayout on. Each operand's
// dimensions are cut by intraline factors (ifmap X, Y, C; filter K, C, R, S) into blocks, and the padded operand is
// laid out block index dimensions first (interline order), then within a block (intraline order); lines of the
// bank bandwidth are cut from that order, and the banks serve them (scalesim_buffers.h, BankModel).
//
// A row: name, IFMAP height / width, filter height / width, channel, filter-count intraline factors, ifmap intraline
// order (3), ifmap interline order (3), filter intraline order (4), filter interline order (4); 20 integers.
#pragma once

#include "config.h"
#include "operand_schedule.h"
#include "topology.h"

#include <cstdint>
#include <string>
#include <vector>

namespace msim {

// One operand's layout: factor and orders of its dimensions (ifmap: X, Y, C; filter: K, C, R, S), the orders a
// permutation of 0 .. 2D - 1 over (block indices, in-block indices) as numpy.transpose takes it.
struct OperandLayout {
  std::vector<long long> factors;
  std::vector<long long> order;  // interline order then intraline order
};

struct LayoutRow {
  std::string name;
  int line = 0;
  OperandLayout ifmap, filter;
};

// Reads `path` and gives each layer its row: by default the row of its topology row (Layer::row); with
// --compat v3 the first row for every layer (v3 calls the layout getters without the layer id), as v3 reads it
// (a first row named *DP* gets channel factor 1). ParseError (file:line) on a malformed row, too few rows, orders
// that are not permutations, factors below 1, or a block that does not fit a line of the bank bandwidth (ifmap:
// X Y C factors <= IfmapSRAMBankBandwidth; filter: K C R S factors = FilterSRAMBankBandwidth, as v3 asserts).
void attach_layouts(const std::string& path, std::vector<Layer>& layers, const Config& c);
// The same on a layout file's text (name: for the errors).
void attach_layouts_text(const std::string& text, const std::string& name, std::vector<Layer>& layers, const Config& c);

// The operand's addresses (replay_addresses.h numbering) in the layout's order, -1 for padding.
std::vector<int64_t> layout_order(const Layer& l, Operand operand);

}  // namespace msim
