#include "energy.h"

#include "sparsity.h"

namespace msim {
namespace {

constexpr double kRegisterAccessesPerMac = 3;  // two operands in, the partial sum updated

BufferCost buffer_cost(const EnergyTable& t, long long kb, long long bits, const std::string& what) {
  return {t.sram(static_cast<double>(kb), bits, false, what), t.sram(static_cast<double>(kb), bits, true, what)};
}

McacheCost mcache_cost(const EnergyTable& t, const Layer& l, const LayerHits& hits, const Config& c, size_t i) {
  const std::string what = "layer " + std::to_string(i) + "'s MCACHE";
  const long long word = static_cast<long long>(t.need("word_bits", what).value);
  const long long psum = hits.vector_kind == "channel" ? static_cast<long long>(t.need("psum_bits", what).value) : word;
  McacheCost m;
  m.geometry = mcache_geometry(l, hits, c.mercury, word, psum);
  const McacheGeometry& g = m.geometry;
  const double kb = g.bytes() / 1024.0;
  // A lookup reads the set's tag part (valid, tag, LRU rank of every way) and compares every way's tag; a hit then
  // reads the entry's results; a miss writes its whole entry.
  m.lookup = t.sram(kb, g.ways * g.tag_entry_bits(), false, what) +
             static_cast<double>(g.ways * g.tag_bits) * t.need("mcache_compare_bit", what).value;
  m.result_read = t.sram(kb, g.result_words * g.result_bits, false, what);
  m.fill = t.sram(kb, g.entry_bits(), true, what);
  return m;
}

// Compute, each buffer's SRAM traffic (a DRAM read also writes its buffer, a DRAM write reads the ofmap buffer)
// and DRAM.
EnergyParts price(const AccessCounts& a, const EnergyModel& m) {
  auto d = [](long long v) { return static_cast<double>(v); };
  EnergyParts p;
  p.compute = d(a.macs) * m.mac;
  p.ifmap = d(a.ifmap_sram_reads) * m.ifmap.read + d(a.ifmap_dram_reads) * m.ifmap.write;
  p.filter = d(a.filter_sram_reads) * m.filter.read + d(a.filter_dram_reads) * m.filter.write;
  p.ofmap = d(a.ofmap_sram_writes) * m.ofmap.write + d(a.ofmap_dram_writes) * m.ofmap.read;
  p.dram = d(a.ifmap_dram_reads + a.filter_dram_reads + a.ofmap_dram_writes) * m.dram_word;
  return p;
}

// Signatures: every vector's sig_bits projections. On the array (SignatureUnitMacs 0), the overlay's extra GEMM
// with its demand-matrix reads and writes; on a separate unit, its MACs and one ifmap read per vector word.
double signature_energy(const Layer& l, const OverlayCounts& n, long long bits, const EnergyModel& m, const Config& c) {
  const double g = static_cast<double>(l.groups);
  if (c.mercury.signature_unit_macs == 0) {
    const ComputeResult s = compute_mapping(map_layer(n.vectors, n.vector_len, bits, c.dataflow), c);
    return g * (static_cast<double>(s.macs) * m.signature_mac_array + static_cast<double>(s.ifmap_sram_reads) * m.ifmap.read +
                static_cast<double>(s.filter_sram_reads) * m.filter.read +
                static_cast<double>(s.ofmap_sram_writes) * m.ofmap.write);
  }
  const double words = static_cast<double>(n.vectors) * static_cast<double>(n.vector_len);
  return g * (words * static_cast<double>(bits) * m.signature_mac_unit + words * m.ifmap.read);
}

// MERCURY's forward: the streamed P' rows' MACs and demand-matrix traffic; the reused results written to the
// ofmap buffer; DRAM as the baseline's replay (every vector still reaches the chip for its signature, every output
// leaves it); signatures, lookups (every vector; hits also read their results) and fills (every miss).
EnergyParts mercury_energy(const LayerResult& r, const McacheCost& mc, const EnergyModel& m, const Config& c) {
  const Layer& l = r.layer;
  const OverlayCounts n = overlay_counts(l, r.hits);
  ComputeResult streamed =
      n.missed_px ? compute_mapping(map_layer(n.missed_px, l.mapped_window(), l.filters, c.dataflow), c) : ComputeResult{};
  if (l.row_wise_block && n.missed_px) row_wise_compute(l, c, n.missed_px, streamed);
  AccessCounts a = access_counts(streamed, nullptr);
  a.ofmap_sram_writes += (l.ofmap_px() - n.missed_px) * l.filters;
  const AccessCounts base = access_counts(r.compute, &r.memory);
  a.ifmap_dram_reads = base.ifmap_dram_reads;
  a.filter_dram_reads = base.filter_dram_reads;
  a.ofmap_dram_writes = base.ofmap_dram_writes;
  EnergyParts p = price(a.times(l.groups), m);
  const double g = static_cast<double>(l.groups);
  p.signature = signature_energy(l, n, r.hits.sig_bits, m, c);
  p.lookup = g * (static_cast<double>(n.vectors) * mc.lookup + static_cast<double>(n.hit_vectors) * mc.result_read);
  p.fill = g * static_cast<double>(n.vectors - n.hit_vectors) * mc.fill;
  return p;
}

}  // namespace

EnergyModel prepare_energy(const EnergyTable& t, const Config& c, const std::vector<Layer>& layers,
                           const std::map<long long, LayerHits>* hitlogs) {
  const std::string run = "every run";
  EnergyModel m;
  const double rf = kRegisterAccessesPerMac * t.need("rf_access", run).value;
  m.mac = t.need("mac", run).value + rf;
  m.dram_word = t.need("dram_word", run).value;
  const long long word = static_cast<long long>(t.need("word_bits", run).value);
  m.ifmap = buffer_cost(t, c.ifmap_sram_kb, word, "the ifmap SRAM (IfmapSramSzkB)");
  m.filter = buffer_cost(t, c.filter_sram_kb, word, "the filter SRAM (FilterSramSzkB)");
  m.ofmap = buffer_cost(t, c.ofmap_sram_kb, word, "the ofmap SRAM (OfmapSramSzkB)");
  constexpr double kEllpackWordBits = 32;
  m.metadata_word = c.sparsity.rep == SparseRep::EllpackBlock ? m.filter.read * kEllpackWordBits / static_cast<double>(word)
                                                               : m.filter.read;
  m.mcache.resize(layers.size());
  if (!hitlogs) return m;
  const std::string sig = "MERCURY's signatures (-m)";
  m.signature_mac_unit = t.need("signature_mac", sig).value;
  m.signature_mac_array = m.signature_mac_unit + rf;
  if (c.training) m.add = t.need("add", "--training's gradient summation").value;
  for (size_t i = 0; i < layers.size(); ++i) {
    auto it = hitlogs->find(static_cast<long long>(i));
    if (it != hitlogs->end()) m.mcache[i] = mcache_cost(t, layers[i], it->second, c, i);
  }
  return m;
}

EnergyParts& EnergyParts::operator+=(const EnergyParts& o) {
  compute += o.compute;
  ifmap += o.ifmap;
  filter += o.filter;
  ofmap += o.ofmap;
  dram += o.dram;
  metadata += o.metadata;
  signature += o.signature;
  lookup += o.lookup;
  fill += o.fill;
  return *this;
}

LayerEnergy& LayerEnergy::operator+=(const LayerEnergy& o) {
  baseline += o.baseline;
  mercury += o.mercury;
  mcache_bytes = std::max(mcache_bytes, o.mcache_bytes);
  input_grad_baseline += o.input_grad_baseline;
  input_grad_mercury += o.input_grad_mercury;
  weight_grad_baseline += o.weight_grad_baseline;
  weight_grad_mercury += o.weight_grad_mercury;
  grad_sum += o.grad_sum;
  return *this;
}

LayerEnergy energy_layer(const LayerResult& r, size_t i, const EnergyModel& m, const Config& c) {
  LayerEnergy e;
  e.baseline = price(access_counts(r.compute, &r.memory).times(r.layer.groups), m);
  // The stationary weights' metadata is read once per layer, hits or not: the same on both sides.
  if (r.layer.sparse) {
    e.baseline.metadata = static_cast<double>(r.layer.groups) * filter_storage(r.layer, c.sparsity.rep).metadata *
                          m.metadata_word;
  }
  e.mercury = e.baseline;
  if (r.mercury.has_hitlog && r.mercury.accelerated) {  // a matmul of activations has no MCACHE: baseline
    e.mercury = mercury_energy(r, m.mcache[i], m, c);
    e.mercury.metadata = e.baseline.metadata;
    e.mcache_bytes = m.mcache[i].geometry.bytes();
  }
  if (!c.training) return e;
  const TrainingResult& t = r.training;
  e.input_grad_baseline = price(t.input_grad_baseline_counts, m).total();
  e.input_grad_mercury = price(t.input_grad_mercury_counts, m).total();
  e.weight_grad_baseline = price(t.weight_grad_baseline_counts, m).total();
  e.weight_grad_mercury = price(t.weight_grad_mercury_counts, m).total();
  e.grad_sum = static_cast<double>(t.grad_sum_additions) * m.add;
  return e;
}

std::vector<LayerEnergy> energy_layers(const std::vector<LayerResult>& results, const EnergyModel& m, const Config& c) {
  std::vector<LayerEnergy> out;
  out.reserve(results.size());
  for (size_t i = 0; i < results.size(); ++i) out.push_back(energy_layer(results[i], i, m, c));
  return out;
}

}  // namespace msim
