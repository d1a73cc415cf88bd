#include "simulate.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>

namespace msim {
namespace {

LayerResult simulate_layer(const Layer& layer, long long id, const Config& c,
                           const std::map<long long, LayerHits>* hitlogs) {
  LayerResult r;
  r.layer = layer;
  r.compute = compute_layer(r.layer, c);
  r.memory = memory_layer(r.layer, r.compute, c);
  const LayerHits* hits = nullptr;
  if (hitlogs) {
    auto it = hitlogs->find(id);  // row i is layer id i
    if (it != hitlogs->end()) {
      hits = &it->second;
      r.hits = it->second;
    }
  }
  r.mercury = mercury_layer(r.layer, c, hits, r.memory.stall_cycles);
  if (c.training) r.training = training_layer(r.layer, c, r.mercury);
  return r;
}

// Runs one(i) for i in [0, n) on `workers` threads; the first exception is rethrown once all have stopped.
template <class One>
void run_parallel(size_t n, size_t workers, One one) {
  std::atomic<size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  std::vector<std::thread> pool;
  for (size_t w = 0; w < workers; ++w) {
    pool.emplace_back([&] {
      for (size_t i; (i = next.fetch_add(1)) < n;) {
        try {
          one(i);
        } catch (...) {
          std::lock_guard<std::mutex> lock(error_mutex);
          if (!error) error = std::current_exception();
        }
      }
    });
  }
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace

std::vector<LayerResult> simulate(const std::vector<Layer>& layers, const Config& c,
                                  const std::map<long long, LayerHits>* hitlogs) {
  std::vector<LayerResult> out(layers.size());
  auto one = [&](size_t i) { out[i] = simulate_layer(layers[i], static_cast<long long>(i), c, hitlogs); };
  // Layers are independent: the replays run on every core (results land in their own slots, order kept).
  const size_t workers = std::min<size_t>(layers.size(), std::max(1u, std::thread::hardware_concurrency()));
  if (workers <= 1 || !c.exact_memory) {
    for (size_t i = 0; i < layers.size(); ++i) one(i);
  } else {
    run_parallel(layers.size(), workers, one);
  }
  return out;
}

}  // namespace msim
