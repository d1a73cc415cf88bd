#include "ops/cpu/mcache.h"

#include <algorithm>

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

namespace mercury {

namespace {

std::vector<uint16_t>* direct_tables() {
  thread_local std::vector<uint16_t> tables[FastCache::kDirectBits + 1];
  return tables;
}

bool* direct_table_lent() {
  thread_local bool lent[FastCache::kDirectBits + 1] = {};
  return lent;
}

// One zeroed table per thread and width, reused by every stream the thread serves (kept all zero between), lent
// to one FastCache at a time; nullptr while lent (a second live cache on the thread then uses the hash index).
uint16_t* borrow_direct_table(int bits) {
  std::vector<uint16_t>& t = direct_tables()[bits];
  bool& lent = direct_table_lent()[bits];
  if (lent) return nullptr;
  if (t.empty()) t.assign(size_t(1) << bits, 0);
  lent = true;
  return t.data();
}

}  // namespace

FastCache::FastCache(int64_t entries, int64_t ways, int64_t signature_bits)
    : entries_(entries), ways_(ways == 0 ? entries : ways), sets_(entries / (ways == 0 ? entries : ways)) {
  tag_.resize(static_cast<size_t>(entries));
  slot_.resize(static_cast<size_t>(entries));
  prev_.resize(static_cast<size_t>(entries));
  next_.resize(static_cast<size_t>(entries));
  head_.assign(static_cast<size_t>(sets_), -1);
  tail_.assign(static_cast<size_t>(sets_), -1);
  size_.assign(static_cast<size_t>(sets_), 0);
  if (signature_bits <= kDirectBits && entries <= kDirectMaxEntries) {
    direct_bits_ = static_cast<int>(std::max<int64_t>(signature_bits, 1));
    direct_ = borrow_direct_table(direct_bits_);
  }
  if (direct_ == nullptr) {
    size_t size = 16;
    while (size < static_cast<size_t>(entries) * 2) size <<= 1;
    table_.assign(size, Cell{0, 0});
    mask_ = size - 1;
  }
}

FastCache::~FastCache() {
  reset();  // leaves the direct table all zero for the next cache
  if (direct_ != nullptr) direct_table_lent()[direct_bits_] = false;
}

void FastCache::reset() {
  if (direct_ != nullptr) {
    for (int32_t e = 0; e < used_; ++e) direct_[tag_[e]] = 0;
  } else if (used_ > 0) {
    std::fill(table_.begin(), table_.end(), Cell{0, 0});
  }
  if (used_ > 0) {
    std::fill(head_.begin(), head_.end(), -1);
    std::fill(tail_.begin(), tail_.end(), -1);
    std::fill(size_.begin(), size_.end(), 0);
  }
  used_ = 0;
}

__attribute__((always_inline)) inline int64_t FastCache::set_of(uint64_t sig) const {
  if (sets_ == 1) return 0;
  return static_cast<int64_t>(mix(sig) % static_cast<uint64_t>(sets_));
}

__attribute__((always_inline)) inline int32_t FastCache::find_entry(uint64_t sig) const {
  if (direct_ != nullptr) return static_cast<int32_t>(direct_[sig]) - 1;
  for (uint64_t i = (mix(sig) >> 7) & mask_;; i = (i + 1) & mask_) {
    const Cell& c = table_[i];
    if (c.entry == 0) return -1;
    if (c.tag == sig) return c.entry - 1;
  }
}

__attribute__((always_inline)) inline void FastCache::index_insert(uint64_t sig, int32_t e) {
  if (direct_ != nullptr) {
    direct_[sig] = static_cast<uint16_t>(e + 1);
    return;
  }
  uint64_t i = (mix(sig) >> 7) & mask_;
  while (table_[i].entry != 0) i = (i + 1) & mask_;
  table_[i] = Cell{sig, e + 1};
}

void FastCache::index_erase(uint64_t sig) {
  if (direct_ != nullptr) {
    direct_[sig] = 0;
    return;
  }
  uint64_t hole = (mix(sig) >> 7) & mask_;
  while (table_[hole].tag != sig || table_[hole].entry == 0) hole = (hole + 1) & mask_;
  for (uint64_t j = (hole + 1) & mask_; table_[j].entry != 0; j = (j + 1) & mask_) {
    const uint64_t k = (mix(table_[j].tag) >> 7) & mask_;
    const bool home_between = hole <= j ? (hole < k && k <= j) : (hole < k || k <= j);
    if (!home_between) {
      table_[hole] = table_[j];
      hole = j;
    }
  }
  table_[hole] = Cell{0, 0};
}

__attribute__((always_inline)) inline void FastCache::touch(int64_t s, int32_t e) {
  if (head_[s] == e) return;
  // unlink (e is not the head, so it has a predecessor)
  const int32_t p = prev_[e], n = next_[e];
  next_[p] = n;
  if (n >= 0) prev_[n] = p; else tail_[s] = p;
  prev_[e] = -1;
  next_[e] = head_[s];
  prev_[head_[s]] = e;
  head_[s] = e;
}

__attribute__((always_inline)) inline int64_t FastCache::lookup(uint64_t sig, int64_t new_slot) {
  const int64_t s = set_of(sig);
  int32_t e = find_entry(sig);
  if (e >= 0) {
    touch(s, e);
    return slot_[e];
  }
  if (size_[s] == ways_) {  // evict the set's least recently used entry, reusing it
    e = tail_[s];
    index_erase(tag_[e]);
    tag_[e] = sig;
    slot_[e] = new_slot;
    index_insert(sig, e);
    touch(s, e);
    return -1;
  }
  e = used_++;
  tag_[e] = sig;
  slot_[e] = new_slot;
  index_insert(sig, e);
  prev_[e] = -1;
  next_[e] = head_[s];
  if (head_[s] >= 0) prev_[head_[s]] = e; else tail_[s] = e;
  head_[s] = e;
  ++size_[s];
  return -1;
}

int64_t FastCache::lookup_or_insert(uint64_t sig, int64_t new_slot) { return lookup(sig, new_slot); }

int64_t run_stream(FastCache& cache, const uint64_t* sigs, int64_t count, uint8_t* hit_flags,
                   CacheAssignment* assignment) {
  int64_t hits = 0, misses = 0;
  if (assignment != nullptr) {
    assignment->slot.resize(static_cast<size_t>(count));
    assignment->miss_vectors.clear();
  }
  int64_t last_slot = -1;
  const uint16_t* direct = cache.direct_;
  constexpr int64_t kAhead = 16;  // the direct table is large: fetch the signatures' cells ahead of use
  for (int64_t v = 0; v < count; ++v) {
    if (direct != nullptr && v + kAhead < count) __builtin_prefetch(direct + sigs[v + kAhead]);
    const uint64_t sig = sigs[v];
    int64_t slot;
    bool hit;
    if (v > 0 && sig == sigs[v - 1]) {
      slot = last_slot;
      hit = true;
    } else {
      slot = cache.lookup(sig, misses);
      hit = slot >= 0;
      if (!hit) slot = misses;
    }
    if (hit) {
      ++hits;
    } else {
      ++misses;
      if (assignment != nullptr) assignment->miss_vectors.push_back(v);
    }
    if (hit_flags != nullptr) hit_flags[v] = hit;
    if (assignment != nullptr) assignment->slot[v] = slot;
    last_slot = slot;
  }
  if (assignment != nullptr) assignment->hits = hits;
  return hits;
}

int64_t run_stream_sources(FastCache& cache, const uint64_t* sigs, int64_t count, int64_t* sources) {
  int64_t hits = 0;
  const uint16_t* direct = cache.direct_;
  constexpr int64_t kAhead = 16;
  for (int64_t v = 0; v < count; ++v) {
    if (direct != nullptr && v + kAhead < count) __builtin_prefetch(direct + sigs[v + kAhead]);
    const uint64_t sig = sigs[v];
    int64_t source;
    if (v > 0 && sig == sigs[v - 1]) {
      source = sources[v - 1];
    } else {
      source = cache.lookup(sig, v);  // the cache keeps the vector that filled each entry
      if (source < 0) source = v;
    }
    hits += source != v;
    sources[v] = source;
  }
  return hits;
}

}  // namespace mercury
