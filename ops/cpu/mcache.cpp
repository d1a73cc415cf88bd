#include "ops/cpu/mcache.h"

namespace mercury {

namespace {

uint64_t mix(uint64_t sig) {
  uint64_t z = sig * 0x9E3779B97F4A7C15ULL;
  return z ^ (z >> 29);
}

}  // namespace

MCache::MCache(int64_t entries, int64_t ways) : ways_(ways == 0 ? entries : ways) {
  sets_.resize(static_cast<size_t>(entries / ways_));
  entries_.reserve(static_cast<size_t>(entries));
  size_t size = 16;
  while (size < static_cast<size_t>(entries) * 2) size <<= 1;
  table_.assign(size, -1);
  mask_ = size - 1;
}

int64_t MCache::home(uint64_t sig) const { return static_cast<int64_t>((mix(sig) >> 7) & mask_); }

int64_t MCache::find(uint64_t sig) const {
  for (int64_t i = home(sig);; i = (i + 1) & mask_) {
    const int32_t e = table_[i];
    if (e < 0) return -1;
    if (entries_[e].tag == sig) return i;
  }
}

void MCache::insert_index(uint64_t sig, int32_t e) {
  int64_t i = home(sig);
  while (table_[i] >= 0) i = (i + 1) & mask_;
  table_[i] = e;
}

void MCache::erase_index(uint64_t sig) {
  int64_t hole = find(sig);
  for (int64_t j = (hole + 1) & mask_; table_[j] >= 0; j = (j + 1) & mask_) {
    // Move j back into the hole unless its home lies cyclically in (hole, j].
    const int64_t k = home(entries_[table_[j]].tag);
    const bool home_between = hole <= j ? (hole < k && k <= j) : (hole < k || k <= j);
    if (!home_between) {
      table_[hole] = table_[j];
      hole = j;
    }
  }
  table_[hole] = -1;
}

int64_t MCache::set_of(uint64_t sig) const {
  if (sets_.size() == 1) return 0;
  // Mixed bits: sets are chosen by the whole signature, not its low bits only.
  return static_cast<int64_t>(mix(sig) % sets_.size());
}

void MCache::unlink(Set& set, int32_t e) {
  Entry& x = entries_[e];
  if (x.prev >= 0) entries_[x.prev].next = x.next; else set.head = x.next;
  if (x.next >= 0) entries_[x.next].prev = x.prev; else set.tail = x.prev;
  --set.size;
}

void MCache::push_front(Set& set, int32_t e) {
  Entry& x = entries_[e];
  x.prev = -1;
  x.next = set.head;
  if (set.head >= 0) entries_[set.head].prev = e;
  set.head = e;
  if (set.tail < 0) set.tail = e;
  ++set.size;
}

int64_t MCache::lookup_or_insert(uint64_t sig, int64_t new_slot) {
  Set& set = sets_[set_of(sig)];
  const int64_t at = find(sig);
  if (at >= 0) {
    const int32_t e = table_[at];
    unlink(set, e);
    push_front(set, e);
    return entries_[e].slot;
  }
  int32_t e;
  if (set.size == ways_) {  // evict the least recently used entry of this set
    e = set.tail;
    unlink(set, e);
    erase_index(entries_[e].tag);
  } else {
    e = static_cast<int32_t>(entries_.size());
    entries_.push_back(Entry{});
  }
  entries_[e].tag = sig;
  entries_[e].slot = new_slot;
  push_front(set, e);
  insert_index(sig, e);
  return -1;
}

CacheAssignment assign_through_cache(const std::vector<uint64_t>& signatures, int64_t entries, int64_t ways) {
  MCache cache(entries, ways);
  CacheAssignment a;
  a.slot.resize(signatures.size());
  for (size_t v = 0; v < signatures.size(); ++v) {
    const int64_t next = static_cast<int64_t>(a.miss_vectors.size());
    const int64_t hit = cache.lookup_or_insert(signatures[v], next);
    if (hit >= 0) {
      a.slot[v] = hit;
      ++a.hits;
    } else {
      a.slot[v] = next;
      a.miss_vectors.push_back(static_cast<int64_t>(v));
    }
  }
  return a;
}

}  // namespace mercury
