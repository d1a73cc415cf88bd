#include "topology.h"

#include "parse_error.h"

#include <fstream>
#include <sstream>

namespace msim {
namespace {

constexpr long long kMaxDim = 1LL << 31;        // any single field
constexpr unsigned __int128 kMaxOperand = static_cast<unsigned __int128>(1) << 40;
constexpr unsigned __int128 kMaxMacs = static_cast<unsigned __int128>(1) << 60;

std::vector<std::string> split_fields(const std::string& row) {
  std::vector<std::string> fields;
  std::stringstream s(row);
  std::string f;
  while (std::getline(s, f, ',')) fields.push_back(trim(f));
  while (!fields.empty() && fields.back().empty()) fields.pop_back();  // SCALE-Sim rows end with ','
  return fields;
}

long long group_suffix(const std::string& name, const std::string& file, int line) {
  const auto at = name.rfind("/g");
  if (at == std::string::npos) return 1;
  const long long g = parse_int(name.substr(at + 2), "group count in '" + name + "'", file, line);
  if (g <= 0 || g > kMaxDim) {
    throw ParseError(file, line, "group count in '" + name + "' must be in [1, " + std::to_string(kMaxDim) + "]");
  }
  return g;
}

}  // namespace

std::vector<Layer> parse_topology_text(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  std::string raw;
  int line = 0;
  bool header_seen = false, gemm = false;
  std::vector<Layer> layers;
  while (std::getline(in, raw)) {
    ++line;
    const std::vector<std::string> f = split_fields(raw);
    if (f.empty()) continue;
    if (!header_seen) {  // the first non-empty row names the columns; "M" second means the GEMM format
      header_seen = true;
      gemm = f.size() >= 2 && (f[1] == "M" || f[1] == "m");
      continue;
    }
    Layer l;
    l.name = f[0];
    l.line = line;
    auto field = [&](size_t i, const char* what) {
      const long long v = parse_int(f[i], std::string(what) + " of layer '" + l.name + "'", name, line);
      if (v <= 0) throw ParseError(name, line, std::string(what) + " of layer '" + l.name + "' must be > 0, got " +
                                                   std::to_string(v));
      if (v > kMaxDim) {
        throw ParseError(name, line, std::string(what) + " of layer '" + l.name + "' must be <= " +
                                         std::to_string(kMaxDim) + ", got " + std::to_string(v));
      }
      return v;
    };
    if (gemm) {
      if (f.size() < 4) throw ParseError(name, line, "a GEMM row needs name, M, N, K; got " + std::to_string(f.size()) + " fields");
      const long long m = field(1, "M"), n = field(2, "N"), k = field(3, "K");
      // SCALE-Sim's mapping of a GEMM to a conv: M x K ifmap, a 1 x K filter, N filters.
      l.ifmap_h = m; l.ifmap_w = k; l.filter_h = 1; l.filter_w = k; l.channels = 1; l.filters = n; l.stride = 1;
      l.gemm = true;
    } else {
      if (f.size() < 8) {
        throw ParseError(name, line, "a conv row needs 8 fields (name, IFMAP H, W, filter H, W, channels, filters, "
                                     "stride); got " + std::to_string(f.size()));
      }
      l.ifmap_h = field(1, "IFMAP Height");
      l.ifmap_w = field(2, "IFMAP Width");
      l.filter_h = field(3, "Filter Height");
      l.filter_w = field(4, "Filter Width");
      l.channels = field(5, "Channels");
      l.filters = field(6, "Num Filter");
      l.stride = field(7, "Strides");
      if (l.filter_h > l.ifmap_h || l.filter_w > l.ifmap_w) {
        throw ParseError(name, line, "filter " + std::to_string(l.filter_h) + "x" + std::to_string(l.filter_w) +
                                         " of layer '" + l.name + "' is larger than its ifmap " +
                                         std::to_string(l.ifmap_h) + "x" + std::to_string(l.ifmap_w));
      }
    }
    l.groups = group_suffix(l.name, name, line);
    // Every count the model forms (MACs x groups, operand sizes) must fit in 64 bits. Unsigned 128-bit
    // arithmetic on fields <= 2^31, checked in an order where no product can exceed 2^128.
    using u128 = unsigned __int128;
    const u128 px = static_cast<u128>(l.ofmap_h()) * static_cast<u128>(l.ofmap_w());
    const u128 k = static_cast<u128>(l.filter_h) * static_cast<u128>(l.filter_w) * static_cast<u128>(l.channels);
    const u128 n = static_cast<u128>(l.filters);
    if (px > kMaxOperand || k > kMaxOperand || k * n > kMaxOperand || px * n > kMaxOperand ||
        px * k * n > kMaxMacs || px * k * n * static_cast<u128>(l.groups) > kMaxMacs) {
      throw ParseError(name, line, "layer '" + l.name + "' is too large to simulate (operands above 2^40 words or "
                                   "MACs above 2^60)");
    }
    layers.push_back(l);
  }
  if (layers.empty()) throw ParseError(name, line, header_seen ? "no layers after the header" : "empty topology file");
  return layers;
}

std::vector<Layer> parse_topology(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ParseError(path, 0, "cannot open topology file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse_topology_text(buffer.str(), path);
}

}  // namespace msim
