// The MERCURY settings of mercury::conv2d (the arguments after layer_id), listed once. Everything else about a
// setting is generated from this list (csrc/settings/settings.h): the table (schema text, CLI flags, Python's
// mercury.settings), the Options struct the kernels read, the enums of the choice settings and their names, and
// the checks of a value where it enters (ops/conv2d_options.cpp reads the op's arguments through it). Plain macros:
// no torch dependency.
//
// To add a setting: a row here, its use in the kernel, a test.
#pragma once

// The values of a choice setting: C(Enumerator, "text"), in the order hitlog_table numbers them.
#define MERCURY_MODE_CHOICES(C) C(Off, "off") C(Observe, "observe") C(Reuse, "reuse")
#define MERCURY_VECTOR_KIND_CHOICES(C) C(Patch, "patch") C(Channel, "channel")
#define MERCURY_SIGNATURE_CHOICES(C) C(Sign, "sign") C(E2lsh, "e2lsh") C(Svd, "svd")

// In schema order. MERCURY_SETTINGS(INT, FLOAT, CHOICE, BOOL) calls
//   INT(name, default, min, max, help)             int64_t in [min, max]
//   FLOAT(name, default, min, max, help)           finite double in [min, max]
//   CHOICE(name, Enum, CHOICES, default, help)      one of CHOICES (default: an enumerator of Enum)
//   BOOL(name, default, help)
#define MERCURY_SETTINGS(INT, FLOAT, CHOICE, BOOL)                                                              \
  CHOICE(mode, Mode, MERCURY_MODE_CHOICES, Observe,                                                             \
         "off: plain conv; observe: exact output, hits counted; reuse: hits reuse cached results")              \
  INT(sig_bits, 20, 1, 64, "signature length in bits (random projections)")                                    \
  INT(cache_entries, 1024, 1, ::mercury::kMaxCacheEntries, "MCACHE entries")                                    \
  INT(cache_ways, 0, 0, ::mercury::kMaxCacheEntries,                                                            \
      "MCACHE associativity (0: fully associative; else must divide cache_entries)")                            \
  CHOICE(vector_kind, VectorKind, MERCURY_VECTOR_KIND_CHOICES, Patch,                                                \
         "patch: one im2col row per output position and group; channel: one kh x kw window per input channel") \
  INT(seed, 0, ::mercury::kIntMin, ::mercury::kIntMax, "seed of the projection directions")                     \
  CHOICE(signature, SignatureScheme, MERCURY_SIGNATURE_CHOICES, Sign,                                           \
         "sign: the paper's RPQ, the sign of each random projection (sees only a vector's direction); e2lsh: "  \
         "each random projection quantized into buckets of width bucket_width (scaled copies and far-apart "    \
         "vectors differ); svd: e2lsh on the layer's own top singular directions, weighted by the singular "    \
         "values (vectors collide when their output rows are close)")                                           \
  FLOAT(bucket_width, 1.0, 1e-6, 1e6,                                                                           \
        "e2lsh bucket width, relative to the RMS of the call's projections (smaller: fewer, closer hits)")      \
  BOOL(record_hitmap, false, "store the per-vector hit map in the hit log")
