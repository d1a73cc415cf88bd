#include "energy_report.h"

#include "layer_totals.h"

#include <fstream>
#include <iomanip>
#include <stdexcept>

namespace msim {
namespace {

constexpr double kUj = 1e-6;  // pJ -> uJ

struct Column {
  const char* name;
  double (*get)(const LayerEnergy&);
};
const Column kForward[] = {
    {"BaselineComputeUJ", [](const LayerEnergy& e) { return e.baseline.compute; }},
    {"BaselineIfmapSramUJ", [](const LayerEnergy& e) { return e.baseline.ifmap; }},
    {"BaselineFilterSramUJ", [](const LayerEnergy& e) { return e.baseline.filter; }},
    {"BaselineOfmapSramUJ", [](const LayerEnergy& e) { return e.baseline.ofmap; }},
    {"BaselineDramUJ", [](const LayerEnergy& e) { return e.baseline.dram; }},
    {"BaselineTotalUJ", [](const LayerEnergy& e) { return e.baseline.total(); }},
    {"MercuryComputeUJ", [](const LayerEnergy& e) { return e.mercury.compute; }},
    {"MercuryIfmapSramUJ", [](const LayerEnergy& e) { return e.mercury.ifmap; }},
    {"MercuryFilterSramUJ", [](const LayerEnergy& e) { return e.mercury.filter; }},
    {"MercuryOfmapSramUJ", [](const LayerEnergy& e) { return e.mercury.ofmap; }},
    {"MercuryDramUJ", [](const LayerEnergy& e) { return e.mercury.dram; }},
    {"MercurySignatureUJ", [](const LayerEnergy& e) { return e.mercury.signature; }},
    {"MercuryLookupUJ", [](const LayerEnergy& e) { return e.mercury.lookup; }},
    {"MercuryFillUJ", [](const LayerEnergy& e) { return e.mercury.fill; }},
    {"MercuryTotalUJ", [](const LayerEnergy& e) { return e.mercury.total(); }},
};
const Column kStep[] = {
    {"InputGradBaselineUJ", [](const LayerEnergy& e) { return e.input_grad_baseline; }},
    {"InputGradMercuryUJ", [](const LayerEnergy& e) { return e.input_grad_mercury; }},
    {"GradSumUJ", [](const LayerEnergy& e) { return e.grad_sum; }},
    {"WeightGradBaselineUJ", [](const LayerEnergy& e) { return e.weight_grad_baseline; }},
    {"WeightGradMercuryUJ", [](const LayerEnergy& e) { return e.weight_grad_mercury; }},
    {"StepBaselineUJ", [](const LayerEnergy& e) { return e.step_baseline(); }},
    {"StepMercuryUJ", [](const LayerEnergy& e) { return e.step_mercury(); }},
};

double ratio(double num, double den) { return den > 0 ? num / den : 0.0; }

// With [sparsity] on, last: the metadata's share of each side's total (in neither SRAM column).
void write_cells(std::ostream& f, const LayerEnergy& e, const Config& c) {
  f << ',' << e.mcache_bytes;
  for (const Column& col : kForward) f << ',' << col.get(e) * kUj;
  f << ',' << ratio(e.mercury.own(), e.mercury.total()) << ',' << ratio(e.baseline.total(), e.mercury.total());
  if (c.training) {
    for (const Column& col : kStep) f << ',' << col.get(e) * kUj;
    f << ',' << ratio(e.step_baseline(), e.step_mercury());
  }
  if (c.sparsity.on) f << ',' << e.baseline.metadata * kUj << ',' << e.mercury.metadata * kUj;
}

}  // namespace

void write_energy_report(const std::vector<LayerResult>& results, const std::vector<LayerEnergy>& energy,
                         const Config& c, const std::string& dir) {
  std::ofstream f(dir + "/ENERGY_REPORT.csv");
  if (!f) throw std::runtime_error("cannot write " + dir + "/ENERGY_REPORT.csv");
  f << std::setprecision(10) << "LayerID,LayerName,Groups,HitLog,HitRate,McacheBytes";
  for (const Column& col : kForward) f << ',' << col.name;
  f << ",MercuryOwnShare,EnergyRatio";
  if (c.training) {
    for (const Column& col : kStep) f << ',' << col.name;
    f << ",StepEnergyRatio";
  }
  if (c.sparsity.on) f << ",BaselineMetadataUJ,MercuryMetadataUJ";
  f << '\n';
  LayerEnergy total;
  for (size_t i = 0; i < results.size(); ++i) {
    const LayerResult& r = results[i];
    f << i << ',' << r.layer.name << ',' << r.layer.groups << ',' << (r.mercury.has_hitlog ? "yes" : "no hitlog")
      << ',' << r.mercury.hit_rate;
    write_cells(f, energy[i], c);
    f << '\n';
    total += energy[i];
  }
  const LayerTotals t = sum_layers(results);
  // The TOTAL row: LayerName says how many layers, HitLog how many had one; McacheBytes is the largest layer's.
  f << "TOTAL,TOTAL (" << t.layers << " layers),," << t.with_hitlog << " with hit log," << t.hit_rate();
  write_cells(f, total, c);
  f << '\n';
}

}  // namespace msim
