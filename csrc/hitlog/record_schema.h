// The hit-log record, defined once: every field of a record in one list, in the order of the columns of
// mercury::hitlog_table, of the exported CSV files and of mercury.hitlog()'s dicts. The Record struct
// (csrc/hitlog/hitlog.h), the table op, the CSV writer, the Python reader (through mercury::hitlog_columns), the
// rank merge and the simulator's reader (sim/src/hitlog.cpp) all expand it. Plain macros: no torch dependency.
//
// MERCURY_HITLOG_FIELDS(INT, TEXT, HITMAP) calls
//   INT(field, "column")     an integer
//   TEXT(field, "column")    one of a fixed list of texts: a setting's value ("reuse", "channel", "e2lsh"; the
//                            setting's choices, mercury.settings) or the op (MERCURY_HITLOG_OP_CHOICES); in
//                            hitlog_table its index in that list
//   HITMAP(field, "column")  the per-vector hit map: '0'/'1' per vector in the CSV files, a has-a-map flag (0/1)
//                            in hitlog_table, read one record at a time with mercury::hitlog_hitmap
#pragma once

#define MERCURY_HITLOG_FIELDS(INT, TEXT, HITMAP)                                                        \
  INT(seq, "seq")                   /* global order of arrival */                                       \
  INT(layer_id, "layer_id")                                                                             \
  INT(call, "call")                 /* per-layer call index, counted even for calls the log dropped */ \
  TEXT(op, "op")                    /* the layer's op: MERCURY_HITLOG_OP_CHOICES */                     \
  MERCURY_HITLOG_GEOMETRY(INT)                                                                          \
  INT(vectors, "vectors")           /* vectors looked up in this call */                                \
  INT(sig_bits, "sig_bits")         /* signature length */                                              \
  INT(hits, "hits") INT(misses, "misses")                                                               \
  TEXT(mode, "mode") TEXT(vector_kind, "vector_kind") TEXT(signature, "signature")                      \
  HITMAP(hitmap, "hitmap")

// The op a record comes from. A linear layer's geometry is the 1 x 1 convolution it equals (ops/linear_options.h:
// N = samples, C = in_features, H = out_h = rows per sample, W = out_w = 1, out_channels = out_features), which is
// SCALE-Sim's GEMM mapping; a matmul (activation x activation, e.g. attention scores) is logged by the study for
// the simulator's baseline only, in the same form, its heads as groups (no vectors: MERCURY does not touch it).
// Files without the column are conv2d logs.
#define MERCURY_HITLOG_OP_CHOICES(C) C("conv2d") C("linear") C("matmul")

// The call's geometry: its fields carry the names of the op's ConvGeometry (ops/conv2d_options.h).
#define MERCURY_HITLOG_GEOMETRY(INT)                                                              \
  INT(n, "N") INT(c, "C") INT(h, "H") INT(w, "W") /* input shape */                               \
  INT(out_channels, "out_channels") INT(kernel_h, "kernel_h") INT(kernel_w, "kernel_w")           \
  INT(out_h, "out_h") INT(out_w, "out_w") INT(groups, "groups")                                   \
  INT(stride_h, "stride_h") INT(stride_w, "stride_w") INT(pad_h, "pad_h") INT(pad_w, "pad_w")     \
  INT(dilation_h, "dilation_h") INT(dilation_w, "dilation_w")

// Column names of older hit-log files, still read: {old, current}.
#define MERCURY_HITLOG_OLD_COLUMNS(X) X("S0", "vectors") X("S1", "sig_bits") X("vector", "vector_kind")

// One file per layer: DIR/hitlog-NNN.csv (NNN: the layer id, at least 3 digits). Files named hitmap-NNN.csv
// (the name before) are still read.
#define MERCURY_HITLOG_FILE_PREFIX "hitlog-"
#define MERCURY_HITLOG_OLD_FILE_PREFIX "hitmap-"
