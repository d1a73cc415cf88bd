#include "ops/cpu/mcache.h"

#include <gtest/gtest.h>

using mercury::assign_through_cache;

TEST(MCache, RepeatsHitAndReuseTheFirstResult) {
  const auto a = assign_through_cache({7, 7, 9, 7, 9, 11}, 16, 0);
  EXPECT_EQ(a.hits, 3);
  EXPECT_EQ(a.miss_vectors, (std::vector<int64_t>{0, 2, 5}));
  EXPECT_EQ(a.slot, (std::vector<int64_t>{0, 0, 1, 0, 1, 2}));
}

TEST(MCache, LeastRecentlyUsedIsEvicted) {
  // Two entries: 1, 2, touch 1, insert 3 evicts 2; so 2 misses again while 1 still hits.
  const auto a = assign_through_cache({1, 2, 1, 3, 2, 1}, 2, 0);
  EXPECT_EQ(a.slot, (std::vector<int64_t>{0, 1, 0, 2, 3, 4}));
  EXPECT_EQ(a.hits, 1);
}

TEST(MCache, DirectMappedConflictsEvict) {
  // One way per set: every signature maps to exactly one place, so a set holds one signature.
  const auto a = assign_through_cache({5, 5, 5}, 4, 1);
  EXPECT_EQ(a.hits, 2);
  const auto one_set = assign_through_cache({1, 2, 1}, 1, 1);
  EXPECT_EQ(one_set.hits, 0);
}

TEST(MCache, EmptyStream) {
  const auto a = assign_through_cache({}, 8, 2);
  EXPECT_EQ(a.hits, 0);
  EXPECT_TRUE(a.slot.empty());
}
