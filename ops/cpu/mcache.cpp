#include "ops/cpu/mcache.h"

namespace mercury {

MCache::MCache(int64_t entries, int64_t ways) : ways_(ways == 0 ? entries : ways) {
  sets_.resize(static_cast<size_t>(entries / ways_));
  where_.reserve(static_cast<size_t>(entries) * 2);
}

int64_t MCache::set_of(uint64_t sig) const {
  if (sets_.size() == 1) return 0;
  // Mix the bits so that sets are chosen by the whole signature, not its low bits only.
  uint64_t z = sig * 0x9E3779B97F4A7C15ULL;
  z ^= z >> 29;
  return static_cast<int64_t>(z % sets_.size());
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
  auto it = where_.find(sig);
  if (it != where_.end()) {
    const int32_t e = it->second;
    unlink(set, e);
    push_front(set, e);
    return entries_[e].slot;
  }
  int32_t e;
  if (set.size == ways_) {  // evict the least recently used entry of this set
    e = set.tail;
    unlink(set, e);
    where_.erase(entries_[e].tag);
  } else {
    e = static_cast<int32_t>(entries_.size());
    entries_.push_back(Entry{});
  }
  entries_[e].tag = sig;
  entries_[e].slot = new_slot;
  push_front(set, e);
  where_.emplace(sig, e);
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
