// MCACHE: a bounded, set-associative, LRU cache from signature to the slot of a computed result.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mercury {

class MCache {
 public:
  // ways == 0: fully associative. entries % ways == 0 (checked by the op).
  MCache(int64_t entries, int64_t ways);

  // On a hit returns the cached slot and marks the entry most recently used; on a miss inserts
  // (sig -> new_slot), evicting the set's least recently used entry when the set is full, and returns -1.
  int64_t lookup_or_insert(uint64_t sig, int64_t new_slot);

 private:
  struct Entry {
    uint64_t tag;
    int64_t slot;
    int32_t prev, next;  // LRU list inside the set; -1 ends it
  };
  struct Set {
    int32_t head = -1, tail = -1;  // most / least recently used
    int64_t size = 0;
  };
  void unlink(Set& set, int32_t e);
  void push_front(Set& set, int32_t e);
  int64_t set_of(uint64_t sig) const;
  // Signature -> entry index: open addressing, linear probing, backward-shift deletion (no allocation per op).
  int64_t home(uint64_t sig) const;
  int64_t find(uint64_t sig) const;  // position in table_, or -1
  void insert_index(uint64_t sig, int32_t e);
  void erase_index(uint64_t sig);

  int64_t ways_;
  std::vector<Set> sets_;
  std::vector<Entry> entries_;
  std::vector<int32_t> table_;  // entry index or -1; size a power of two >= 2 * entries
  uint64_t mask_;
};

// How one stream of vectors is served by a fresh MCACHE, looked up in order.
struct CacheAssignment {
  std::vector<int64_t> slot;          // per vector: index into miss_vectors of the result it uses
  std::vector<int64_t> miss_vectors;  // vector index of each computed (missed) result
  int64_t hits = 0;
};

CacheAssignment assign_through_cache(const std::vector<uint64_t>& signatures, int64_t entries, int64_t ways);

// The same MCACHE (exact set-associative LRU, same set choice) built for speed and reused across streams: a
// thread keeps one and calls reset() between streams. Signatures of at most kDirectBits bits (caches of at most
// kDirectMaxEntries entries) are indexed by a direct table, 16 bits per possible signature, kept per thread and
// left all zero after each stream; longer ones by open addressing with the tags stored inline.
class FastCache {
 public:
  static constexpr int kDirectBits = 22;
  static constexpr int64_t kDirectMaxEntries = 65535;  // entry + 1 fits in the table's 16-bit cells
  // signature_bits: an upper bound on the signatures' width (64 for hashed signatures).
  FastCache(int64_t entries, int64_t ways, int64_t signature_bits);
  ~FastCache();
  FastCache(const FastCache&) = delete;
  FastCache& operator=(const FastCache&) = delete;
  void reset();  // empty, as a fresh cache
  // As MCache::lookup_or_insert.
  int64_t lookup_or_insert(uint64_t sig, int64_t new_slot);

 private:
  friend int64_t run_stream(FastCache&, const uint64_t*, int64_t, uint8_t*, CacheAssignment*);
  friend int64_t run_stream_sources(FastCache&, const uint64_t*, int64_t, int64_t*);
  int64_t lookup(uint64_t sig, int64_t new_slot);
  int64_t set_of(uint64_t sig) const;
  int32_t find_entry(uint64_t sig) const;  // entry index or -1
  void index_insert(uint64_t sig, int32_t e);
  void index_erase(uint64_t sig);
  void touch(int64_t s, int32_t e);  // make e the set's most recently used

  int64_t entries_, ways_, sets_;
  std::vector<uint64_t> tag_;
  std::vector<int64_t> slot_;
  std::vector<int32_t> prev_, next_;
  std::vector<int32_t> head_, tail_, size_;
  int32_t used_ = 0;
  int direct_bits_ = 0;
  uint16_t* direct_ = nullptr;  // entry + 1 per signature, 0 = absent (thread-local storage)
  struct Cell { uint64_t tag; int32_t entry; };  // entry + 1, 0 = empty
  std::vector<Cell> table_;
  uint64_t mask_ = 0;
};

// Streams served in order through a FastCache; hits counted, and per vector whether it hit (hit_flags, if not
// null) or the CacheAssignment (if `assignment` not null). Consecutive equal signatures take a shortcut (the
// entry is already the most recently used of its set), with the same result.
int64_t run_stream(FastCache& cache, const uint64_t* sigs, int64_t count, uint8_t* hit_flags,
                   CacheAssignment* assignment);

// As run_stream, but writes each vector's source (the vector whose result it takes; itself on a miss) instead.
int64_t run_stream_sources(FastCache& cache, const uint64_t* sigs, int64_t count, int64_t* sources);

}  // namespace mercury
