#include "ops/cpu/log_call.h"

namespace mercury {

hitlog::Record call_record(const char* op, const ConvGeometry& g, const Options& o, int64_t vectors, int64_t hits,
                           std::vector<uint8_t> hitmap) {
  hitlog::Record r;
  r.op = op;
#define MERCURY_COPY_GEOMETRY(field, column) r.field = g.field;
  MERCURY_HITLOG_GEOMETRY(MERCURY_COPY_GEOMETRY)
#undef MERCURY_COPY_GEOMETRY
  r.layer_id = o.layer_id;
  r.vectors = vectors;
  r.sig_bits = o.sig_bits;
  r.hits = hits;
  r.misses = vectors - hits;
  r.mode = choice_name(o.mode);
  r.vector_kind = choice_name(o.vector_kind);
  r.signature = choice_name(o.signature);
  r.hitmap = std::move(hitmap);
  return r;
}

void log_call(const char* op, const ConvGeometry& g, const Options& o, int64_t vectors, int64_t hits,
              std::vector<uint8_t> hitmap) {
  hitlog::HitLog::instance().append(call_record(op, g, o, vectors, hits, std::move(hitmap)));
}

}  // namespace mercury
