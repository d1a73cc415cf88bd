#include "ops/cpu/weight_subspace.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

using mercury::tracked_weight_directions;

namespace {

// A 1x1 conv weight [out, k, 1, 1] (one patch unit, rows [out, k]) = U diag(s) V^T with well separated singular
// values s = 2^-i.
at::Tensor weight_with_spectrum(int64_t out, int64_t k, int64_t seed) {
  at::manual_seed(seed);
  const int64_t r = std::min(out, k);
  const at::Tensor u = std::get<0>(at::linalg_qr(at::randn({out, r}, at::kDouble), "reduced"));
  const at::Tensor v = std::get<0>(at::linalg_qr(at::randn({k, r}, at::kDouble), "reduced"));
  const at::Tensor s = at::pow(2.0, -at::arange(r, at::kDouble));
  return at::matmul(u * s, v.t()).view({out, k, 1, 1});
}

at::Tensor directions(const at::Tensor& weight, int64_t bits) {
  return tracked_weight_directions(weight, 1, mercury::VectorKind::Patch, bits);
}

// The exact answer: top right-singular vectors times singular values.
at::Tensor exact_directions(const at::Tensor& weight, int64_t bits) {
  const auto svd = at::linalg_svd(weight.view({1, weight.size(0), weight.size(1)}), false);
  return (std::get<2>(svd).narrow(1, 0, bits) * std::get<1>(svd).narrow(1, 0, bits).unsqueeze(2)).transpose(1, 2);
}

// Largest entry-wise difference, each column compared up to its sign (singular vectors have no fixed sign).
double distance_up_to_sign(const at::Tensor& a, const at::Tensor& b) {
  const at::Tensor plus = (a - b).abs().amax(1), minus = (a + b).abs().amax(1);
  return at::minimum(plus, minus).max().item<double>();
}

}  // namespace

TEST(WeightSubspace, NewWeightGetsTheExactSvd) {
  const at::Tensor w = weight_with_spectrum(16, 40, 0);
  const at::Tensor d = directions(w, 4);
  ASSERT_EQ(d.sizes(), (std::vector<int64_t>{1, 40, 4}));
  EXPECT_LT(distance_up_to_sign(d, exact_directions(w, 4)), 1e-12);
}

TEST(WeightSubspace, UnchangedWeightIsServedFromTheStore) {
  const at::Tensor w = weight_with_spectrum(16, 40, 1);
  const at::Tensor first = directions(w, 4);
  EXPECT_TRUE(directions(w, 4).is_same(first));
  EXPECT_FALSE(directions(w, 3).is_same(first));  // other settings: their own entry
}

TEST(WeightSubspace, InPlaceUpdatesAreTracked) {
  at::Tensor w = weight_with_spectrum(16, 40, 2);
  directions(w, 4);
  // A small update, as from one optimizer step: one refinement is already close to the new exact answer.
  w.add_(1e-3 * weight_with_spectrum(16, 40, 3));
  const at::Tensor once = directions(w, 4);
  EXPECT_LT(distance_up_to_sign(once, exact_directions(w, 4)), 1e-4);
  // A large update: refinements (one per version) converge to it.
  w.copy_(weight_with_spectrum(16, 40, 4));
  at::Tensor d;
  for (int i = 0; i < 30; ++i) {
    w.add_(0.0);  // a new version, same values
    d = directions(w, 4);
  }
  EXPECT_LT(distance_up_to_sign(d, exact_directions(w, 4)), 1e-9);
}

TEST(WeightSubspace, AnotherTensorWithTheSameShapeIsNotConfused) {
  const at::Tensor a = weight_with_spectrum(16, 40, 5);
  directions(a, 4);
  const at::Tensor b = weight_with_spectrum(16, 40, 6);
  EXPECT_LT(distance_up_to_sign(directions(b, 4), exact_directions(b, 4)), 1e-12);
}

TEST(WeightSubspace, MoreBitsThanTheRankLeaveZeroColumns) {
  const at::Tensor w = weight_with_spectrum(3, 40, 7);
  const at::Tensor d = directions(w, 5);
  EXPECT_LT(distance_up_to_sign(d.narrow(2, 0, 3), exact_directions(w, 3)), 1e-12);
  EXPECT_EQ(d.narrow(2, 3, 2).abs().max().item<double>(), 0.0);
}
