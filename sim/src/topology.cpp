#include "topology.h"

#include "parse_error.h"

#include <sstream>

namespace msim {
namespace {

constexpr long long kMaxDim = 1LL << 31;        // any single field
constexpr unsigned __int128 kMaxOperand = static_cast<unsigned __int128>(1) << 40;
constexpr unsigned __int128 kMaxMacs = static_cast<unsigned __int128>(1) << 60;
constexpr size_t kMaxLayers = 1 << 20;          // after depthwise expansion (one layer per channel)

// SCALE-Sim splits a row at commas and drops the text after the last comma (`row.split(',')[:-1]`): rows end with
// ',' and a row without it loses its last field. Done the same way here.
std::vector<std::string> split_fields(const std::string& row) {
  std::vector<std::string> fields = split_csv_row(row);
  if (!fields.empty()) fields.pop_back();
  return fields;
}

}  // namespace

void parse_sparsity_ratio(const std::string& text, const std::string& label, const std::string& file, int line,
                          Layer& l) {
  const auto colon = text.find(':');
  if (colon == std::string::npos) throw ParseError(file, line, label + " must be N:M, got '" + text + "'");
  l.nm_n = parse_int(text.substr(0, colon), label + " (N)", file, line);
  l.nm_m = parse_int(text.substr(colon + 1), label + " (M)", file, line);
  // v3 crashes on N > M (numpy: negative dimensions) and M = 0 (division by zero), and maps nothing for N = 0.
  if (l.nm_m < 1 || l.nm_m > kMaxDim || l.nm_n < 1 || l.nm_n > l.nm_m) {
    throw ParseError(file, line, label + " needs 1 <= N <= M <= " + std::to_string(kMaxDim) + ", got '" + text + "'");
  }
}

Layer gemm_layer(const std::string& name, long long m, long long n, long long k) {
  Layer l;
  l.name = name;
  l.ifmap_h = m; l.ifmap_w = k; l.filter_h = 1; l.filter_w = k; l.channels = 1; l.filters = n;
  l.gemm = true;
  return l;
}

void check_layer_size(const Layer& l, const std::string& file, int line) {
  // Unsigned 128-bit arithmetic on fields <= 2^31, checked in an order where no product can exceed 2^128.
  using u128 = unsigned __int128;
  const u128 px = static_cast<u128>(l.ofmap_h()) * static_cast<u128>(l.ofmap_w());
  const u128 k = static_cast<u128>(l.filter_h) * static_cast<u128>(l.filter_w) * static_cast<u128>(l.channels);
  const u128 n = static_cast<u128>(l.filters);
  if (px > kMaxOperand || k > kMaxOperand || k * n > kMaxOperand || px * n > kMaxOperand || px * k * n > kMaxMacs ||
      px * k * n * static_cast<u128>(l.groups) > kMaxMacs) {
    throw ParseError(file, line, "layer '" + l.name + "' is too large to simulate (operands above 2^40 words or "
                                 "MACs above 2^60)");
  }
}

namespace {

// One data row of a topology file: its fields (split_fields) and where it is, for the errors.
struct TopologyRow {
  std::vector<std::string> f;
  const std::string& file;
  int line;
  std::string layer;  // the row's name
  std::string dropped_note;  // why a field may be missing: the row does not end with ','

  // Field i, an integer in [1, kMaxDim].
  long long field(size_t i, const char* what) const {
    const std::string label = std::string(what) + " of layer '" + layer + "'";
    const long long v = parse_int(f[i], label, file, line);
    if (v <= 0) throw ParseError(file, line, label + " must be > 0, got " + std::to_string(v));
    if (v > kMaxDim) {
      throw ParseError(file, line, label + " must be <= " + std::to_string(kMaxDim) + ", got " + std::to_string(v));
    }
    return v;
  }
  // Field i as SCALE-Sim v3's "N:M".
  void sparsity_ratio(size_t i, Layer& l) const {
    parse_sparsity_ratio(f[i], "N:M of layer '" + layer + "'", file, line, l);
    l.nm_from_row = true;
  }
};

// A row's last field is SCALE-Sim v3's N:M column when it holds a ':' (v3 allows it after the 8th conv field and the
// 4th GEMM field; mercury-sim also after v2's 9th, the stride width: v3 cannot express non-square strides).
bool has_sparsity_ratio(const TopologyRow& r, size_t plain_min, size_t plain_max) {
  return r.f.size() > plain_min && r.f.size() <= plain_max + 1 && r.f.back().find(':') != std::string::npos;
}

// name, M, N, K[, N:M]
Layer gemm_row(const TopologyRow& r) {
  const bool ratio = has_sparsity_ratio(r, 4, 4);
  if (r.f.size() - ratio != 4) {
    throw ParseError(r.file, r.line, "a GEMM row needs name, M, N, K; got " + std::to_string(r.f.size()) + " fields" +
                                         (r.f.size() > 4 ? " (extra columns are not supported)" : r.dropped_note));
  }
  const long long m = r.field(1, "M"), n = r.field(2, "N"), k = r.field(3, "K");
  Layer g = gemm_layer(r.layer, m, n, k);
  if (ratio) r.sparsity_ratio(4, g);
  check_layer_size(g, r.file, r.line);
  return g;
}

// name, IFMAP H, W, filter H, W, channels, filters, stride height[, stride width][, N:M]. The two SCALE-Sim
// versions' ninth fields are told apart by content: with a ':' it is v3's N:M column, else v2's stride width.
Layer conv_row(const TopologyRow& r) {
  const bool ratio = has_sparsity_ratio(r, 8, 9);
  const size_t plain = r.f.size() - ratio;
  if (plain != 8 && plain != 9) {
    throw ParseError(r.file, r.line, "a conv row needs 8 or 9 fields (name, IFMAP H, W, filter H, W, channels, "
                                     "filters, stride height[, stride width]); got " + std::to_string(r.f.size()) +
                                     (r.f.size() > 9 ? " (extra columns are not supported)" : r.dropped_note));
  }
  Layer l;
  l.name = r.layer;
  l.ifmap_h = r.field(1, "IFMAP Height");
  l.ifmap_w = r.field(2, "IFMAP Width");
  l.filter_h = r.field(3, "Filter Height");
  l.filter_w = r.field(4, "Filter Width");
  l.channels = r.field(5, "Channels");
  l.filters = r.field(6, "Num Filter");
  l.stride_h = r.field(7, "Stride height");
  l.stride_w = plain == 9 ? r.field(8, "Stride width") : l.stride_h;  // SCALE-Sim repeats the height stride
  if (ratio) r.sparsity_ratio(plain, l);
  if (l.filter_h > l.ifmap_h || l.filter_w > l.ifmap_w) {
    throw ParseError(r.file, r.line, "filter " + std::to_string(l.filter_h) + "x" + std::to_string(l.filter_w) +
                                         " of layer '" + l.name + "' is larger than its ifmap " +
                                         std::to_string(l.ifmap_h) + "x" + std::to_string(l.ifmap_w));
  }
  return l;
}

// A conv row's layers. SCALE-Sim: a name containing "DP" is a depthwise conv, simulated as one single-channel layer
// per input channel, named <name>Channel_<i> (each keeps the row's filter count).
void add_conv_layers(Layer l, const TopologyRow& r, std::vector<Layer>& layers) {
  const bool depthwise = l.name.find("DP") != std::string::npos;
  const long long copies = depthwise ? l.channels : 1;
  if (depthwise) l.channels = 1;
  check_layer_size(l, r.file, r.line);
  if (layers.size() + static_cast<unsigned long long>(copies) > kMaxLayers) {
    throw ParseError(r.file, r.line, "more than " + std::to_string(kMaxLayers) + " layers (after one layer per "
                                     "channel of the depthwise rows) are not supported");
  }
  const std::string base = l.name;
  for (long long i = 0; i < copies; ++i) {
    if (depthwise) l.name = base + "Channel_" + std::to_string(i);
    layers.push_back(l);
  }
}

}  // namespace

std::vector<Layer> parse_topology_text(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  std::string raw;
  int line = 0;
  bool header_seen = false, gemm = false;
  long long rows = 0;
  std::vector<Layer> layers;
  while (std::getline(in, raw)) {
    ++line;
    const std::string row = trim(raw);
    if (row.empty()) continue;
    TopologyRow r{split_fields(row), name, line, "", ""};
    if (!header_seen) {  // the first non-empty row names the columns; "M" second means the GEMM format
      header_seen = true;
      gemm = r.f.size() >= 2 && (r.f[1] == "M" || r.f[1] == "m");
      continue;
    }
    r.layer = r.f.empty() ? "" : r.f[0];
    if (row.back() != ',') r.dropped_note = " (SCALE-Sim drops the field after the last comma: end rows with ',')";
    Layer l = gemm ? gemm_row(r) : conv_row(r);
    l.line = line;
    l.row = rows++;
    if (gemm) {
      layers.push_back(l);
    } else {
      add_conv_layers(l, r, layers);
    }
  }
  if (layers.empty()) throw ParseError(name, line, header_seen ? "no layers after the header" : "empty topology file");
  return layers;
}

std::vector<Layer> parse_topology(const std::string& path) {
  return parse_topology_text(read_input_file(path, "topology file"), path);
}

}  // namespace msim
