#include "mcache_storage.h"

namespace msim {

McacheGeometry mcache_geometry(const Layer& l, const LayerHits& hits, const MercuryCosts& m, long long word_bits,
                               long long psum_bits) {
  McacheGeometry g;
  g.entries = m.cache_entries;
  g.ways = m.cache_ways == 0 ? m.cache_entries : m.cache_ways;
  g.tag_bits = hits.sig_bits;
  while ((1LL << g.lru_bits) < g.ways) ++g.lru_bits;
  g.result_words = l.filters;
  g.result_bits = hits.vector_kind == "channel" ? psum_bits : word_bits;
  return g;
}

}  // namespace msim
