// What the MCACHE must store on the configured array (sim/README.md, "MCACHE storage"). An entry holds a valid bit,
// the whole signature as its tag (the op's MCACHE compares full signatures: its set is chosen from the signature but
// the tag is not shortened), the LRU rank within its set (ceil(log2 ways) bits) and the results a hit reuses: the
// C_out / G outputs of a patch vector (word_bits each: what the ofmap buffer would receive) or the C_out / G partial
// sums of a channel window (psum_bits each: they are added to the other windows' sums later).
#pragma once

#include "config.h"
#include "hitlog.h"
#include "topology.h"

namespace msim {

struct McacheGeometry {
  long long entries = 0, ways = 0;  // ways: of one set (fully associative: = entries)
  long long tag_bits = 0, lru_bits = 0, result_words = 0, result_bits = 0;
  long long tag_entry_bits() const { return 1 + tag_bits + lru_bits; }  // valid + tag + LRU rank
  long long entry_bits() const { return tag_entry_bits() + result_words * result_bits; }
  double bytes() const { return static_cast<double>(entries) * static_cast<double>(entry_bits()) / 8.0; }
};

// One layer's MCACHE (one group's vectors; groups reuse it in turn). word_bits / psum_bits: the energy table's.
McacheGeometry mcache_geometry(const Layer& l, const LayerHits& hits, const MercuryCosts& m, long long word_bits,
                               long long psum_bits);

}  // namespace msim
