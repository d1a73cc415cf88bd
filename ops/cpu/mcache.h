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

}  // namespace mercury
