#include "layout.h"

#include "parse_error.h"
#include "scalesim_constants.h"

#include <algorithm>
#include <memory>
#include <sstream>

namespace msim {
namespace {

constexpr size_t kLayoutFields = 21;  // name + 20 integers
constexpr long long kMaxFactor = 1LL << 20;
constexpr long long kMaxPaddedWords = 1LL << 28;  // as the replay's operand limit (memory.h)

std::vector<LayoutRow> parse_layout_rows(const std::string& text, const std::string& file) {
  std::istringstream in(text);
  std::string raw;
  int line = 0;
  bool header = true;
  std::vector<LayoutRow> rows;
  while (std::getline(in, raw)) {
    ++line;
    const std::string row = trim(raw);
    if (row.empty()) continue;
    if (header) {
      header = false;
      continue;
    }
    std::vector<std::string> f = split_csv_row(row);
    if (!f.empty()) f.pop_back();  // as SCALE-Sim: the text after the last ',' is dropped
    if (f.size() != kLayoutFields) {
      throw ParseError(file, line, "a layout row needs a name and 20 integers, got " + std::to_string(f.size()) +
                                       " fields" + (row.back() != ',' ? " (end rows with ',')" : ""));
    }
    std::vector<long long> v(kLayoutFields);
    for (size_t i = 1; i < kLayoutFields; ++i) v[i] = parse_int(f[i], "layout field " + std::to_string(i), file, line);
    LayoutRow r;
    r.name = f[0];
    r.line = line;
    r.ifmap.factors = {v[1], v[2], v[5]};
    r.ifmap.order = {v[10], v[11], v[12], v[7], v[8], v[9]};
    r.filter.factors = {v[6], v[5], v[3], v[4]};
    r.filter.order = {v[17], v[18], v[19], v[20], v[13], v[14], v[15], v[16]};
    rows.push_back(r);
  }
  return rows;
}

// The operand's dimensions (ifmap X, Y, C; filter K, C, R, S) and its size padded to whole blocks of the layout.
std::vector<long long> operand_dims(const Layer& l, Operand operand) {
  return operand == Operand::Ifmap ? std::vector<long long>{l.ifmap_h, l.ifmap_w, l.channels}
                                   : std::vector<long long>{l.filters, l.channels, l.filter_h, l.filter_w};
}
long long padded_words(const Layer& l, Operand operand) {
  const OperandLayout& o = operand == Operand::Ifmap ? l.layout->ifmap : l.layout->filter;
  const std::vector<long long> dims = operand_dims(l, operand);
  long double words = 1;  // factors <= 2^20 and dims <= 2^31: kept in range by long double, compared once
  for (size_t d = 0; d < dims.size(); ++d) words *= static_cast<long double>(ceil_div(dims[d], o.factors[d]) * o.factors[d]);
  return words > static_cast<long double>(kMaxPaddedWords) ? kMaxPaddedWords + 1 : static_cast<long long>(words);
}

std::string join_values(const std::vector<long long>& v) {
  std::string s;
  for (long long x : v) s += (s.empty() ? "" : " x ") + std::to_string(x);
  return s;
}

// v3's asserts, as parse errors: orders a permutation (numpy.transpose), factors >= 1, a block within a line.
void check_operand(const OperandLayout& o, const char* operand, long long bank_bandwidth, bool exact,
                   const std::string& file, int line) {
  std::vector<long long> sorted = o.order;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (sorted[i] != static_cast<long long>(i)) {
      throw ParseError(file, line, std::string(operand) + " interline and intraline orders must be a permutation of 0.." +
                                       std::to_string(sorted.size() - 1) + ", got " + join_values(o.order));
    }
  }
  long long block = 1;
  for (long long f : o.factors) {
    if (f < 1 || f > kMaxFactor) {
      throw ParseError(file, line, std::string(operand) + " intraline factors must be in [1, 2^20], got " +
                                       join_values(o.factors));
    }
    block *= f;
  }
  if (exact ? block != bank_bandwidth : block > bank_bandwidth) {
    throw ParseError(file, line, std::string(operand) + " intraline factors " + join_values(o.factors) + " = " +
                                     std::to_string(block) + (exact ? " must equal" : " must be <=") +
                                     " the SRAM bank bandwidth (a line), " + std::to_string(bank_bandwidth));
  }
}

}  // namespace

void attach_layouts(const std::string& path, std::vector<Layer>& layers, const Config& c) {
  attach_layouts_text(read_input_file(path, "layout file"), path, layers, c);
}

void attach_layouts_text(const std::string& text, const std::string& path, std::vector<Layer>& layers, const Config& c) {
  std::vector<LayoutRow> rows = parse_layout_rows(text, path);
  const bool first_for_all = c.compat == Compat::V3;
  long long needed = 1;
  for (const Layer& l : layers) needed = first_for_all ? 1 : std::max(needed, l.row + 1);
  if (static_cast<long long>(rows.size()) < needed) {
    throw ParseError(path, rows.empty() ? 1 : rows.back().line,
                     "the layout file has " + std::to_string(rows.size()) + " rows, the topology needs " +
                         std::to_string(needed) + (first_for_all ? " (--compat v3 uses the first for every layer)" : ""));
  }
  // v3 expands a *DP* layout row as a topology row, setting its channel field (here the channel factor) to 1.
  if (first_for_all && rows[0].name.find("DP") != std::string::npos) {
    rows[0].ifmap.factors[2] = rows[0].filter.factors[1] = 1;
  }
  std::vector<std::shared_ptr<const LayoutRow>> shared;
  for (const LayoutRow& r : rows) {
    if (shared.size() < static_cast<size_t>(needed)) {  // the rows in use
      if (c.ifmap_banks.custom_layout) check_operand(r.ifmap, "ifmap", c.ifmap_banks.bandwidth, false, path, r.line);
      if (c.filter_banks.custom_layout) check_operand(r.filter, "filter", c.filter_banks.bandwidth, true, path, r.line);
    }
    shared.push_back(std::make_shared<const LayoutRow>(r));
  }
  for (Layer& l : layers) {
    l.layout = shared[first_for_all ? 0 : static_cast<size_t>(l.row)];
    for (Operand operand : {Operand::Ifmap, Operand::Filter}) {
      const bool custom = (operand == Operand::Ifmap ? c.ifmap_banks : c.filter_banks).custom_layout;
      if (custom && padded_words(l, operand) > kMaxPaddedWords) {
        throw ParseError(path, l.layout->line, std::string("the layout pads layer '") + l.name + "''s " +
                                                   (operand == Operand::Ifmap ? "ifmap" : "filter") +
                                                   " beyond 2^28 words (its factors overhang too far)");
      }
    }
  }
}

std::vector<int64_t> layout_order(const Layer& l, Operand operand) {
  const bool ifmap = operand == Operand::Ifmap;
  const OperandLayout& o = ifmap ? l.layout->ifmap : l.layout->filter;
  // The operand's dimensions and the address of an element (ifmap X, Y, C; filter K, C, R, S, numbered as v3's
  // np.arange(...).reshape does: the same set of addresses as the operand matrix's, in another order).
  const std::vector<long long> dims = operand_dims(l, operand);
  const size_t D = dims.size();
  std::vector<long long> size(2 * D);  // axes: block indices of each dimension, then in-block indices
  for (size_t d = 0; d < D; ++d) {
    size[d] = ceil_div(dims[d], o.factors[d]);
    size[D + d] = o.factors[d];
  }
  long long total = 1;
  for (long long s : size) total *= s;
  std::vector<int64_t> out;
  out.reserve(static_cast<size_t>(total));
  std::vector<long long> at(2 * D, 0);  // position along the output axes (axis i is old axis o.order[i])
  for (long long n = 0; n < total; ++n) {
    int64_t address = 0;
    bool inside = true;
    for (size_t d = 0; d < D && inside; ++d) {
      long long block = 0, within = 0;
      for (size_t i = 0; i < 2 * D; ++i) {
        if (o.order[i] == static_cast<long long>(d)) block = at[i];
        if (o.order[i] == static_cast<long long>(D + d)) within = at[i];
      }
      const long long x = block * o.factors[d] + within;
      inside = x < dims[d];
      address = address * dims[d] + x;
    }
    out.push_back(inside ? address : -1);
    for (size_t i = 2 * D; i-- > 0;) {  // next index, the last output axis fastest (C order)
      if (++at[i] < size[o.order[i]]) break;
      at[i] = 0;
    }
  }
  return out;
}

}  // namespace msim
