// Reads the op's exported hit logs (DIR/hitlog-NNN.csv, one row per call; columns found by header name). The
// record's columns are csrc/hitlog/record_schema.h's; older logs (hitmap-NNN.csv, columns S0, S1, vector) are read
// too.
#pragma once

#include <map>
#include <string>

namespace msim {

struct LayerHits {
  long long calls = 0, vectors = 0, hits = 0, misses = 0;
  long long sig_bits = 0;       // of the last call (the adaptive policy may change it)
  std::string vector_kind = "patch";  // "patch" (one im2col row per output position) or "channel" (one kh x kw window)
  // The record's op (record_schema.h): "conv2d", "linear" (a GEMM, logged as the 1 x 1 conv it equals) or
  // "matmul" (activation x activation: geometry only, simulated at baseline); files without the column: conv2d.
  std::string op = "conv2d";
  // The layer's geometry from the first call's row (-1: column absent), for the topology join check (join.h) and
  // for building the layer without a topology (hitlog_topology.h). Every later call must agree on the kernel,
  // channels, filters, groups and strides (else ParseError).
  long long C = -1, out_channels = -1, kernel_h = -1, kernel_w = -1, dilation_h = 1, dilation_w = 1, groups = -1;
  long long stride_h = -1, stride_w = -1;
  long long out_h = -1, out_w = -1, batch_images = 0;  // batch_images: sum of N over all calls
  std::string file;  // the hitlog-NNN.csv it came from
  int first_line = 0;
  double hit_rate() const { return vectors ? static_cast<double>(hits) / static_cast<double>(vectors) : 0.0; }
};

// Layer id -> totals over all calls. Throws ParseError (file:line) for malformed files; a missing directory
// is an error too (never a silent "no hits").
// Two files for one layer id (hitlog-001.csv and hitmap-001.csv) are an error.
// allow_empty: a directory without hit-log files is accepted (the caller has a topology whose rows are then
// all reported at baseline, flagged "no hitlog"; main warns).
std::map<long long, LayerHits> read_hitlog_dir(const std::string& dir, bool allow_empty = false);
LayerHits parse_hitlog_text(const std::string& text, const std::string& name);

}  // namespace msim
