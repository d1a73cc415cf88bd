#include "report.h"

#include "energy_report.h"
#include "layer_totals.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <stdexcept>

namespace msim {
namespace {

std::ofstream open_report(const std::string& dir, const std::string& name) {
  std::ofstream f(dir + "/" + name);
  if (!f) throw std::runtime_error("cannot write " + dir + "/" + name);
  f << std::setprecision(10);
  return f;
}

double ratio(long long num, long long den) { return den ? static_cast<double>(num) / static_cast<double>(den) : 0.0; }

// The training step's cycle columns (--training): one per layer in MERCURY_REPORT.csv, summed in MERCURY_TOTAL.csv;
// StepSpeedup follows them.
struct TrainingColumn {
  const char* name;
  long long (*get)(const TrainingResult&);
};
const TrainingColumn kTrainingColumns[] = {
    {"ForwardBaselineCycles", [](const TrainingResult& t) { return t.forward_baseline; }},
    {"ForwardMercuryCycles", [](const TrainingResult& t) { return t.forward_mercury; }},
    {"InputGradBaselineCycles", [](const TrainingResult& t) { return t.input_grad_baseline; }},
    {"InputGradMercuryCycles", [](const TrainingResult& t) { return t.input_grad_mercury; }},
    {"GradSumCycles", [](const TrainingResult& t) { return t.grad_sum_cycles; }},
    {"WeightGradBaselineCycles", [](const TrainingResult& t) { return t.weight_grad_baseline; }},
    {"WeightGradMercuryCycles", [](const TrainingResult& t) { return t.weight_grad_mercury; }},
    {"StepBaselineCycles", [](const TrainingResult& t) { return t.step_baseline(); }},
    {"StepMercuryCycles", [](const TrainingResult& t) { return t.step_mercury(); }},
};

void write_training_header(std::ostream& f) {
  for (const TrainingColumn& col : kTrainingColumns) f << ',' << col.name;
  f << ",StepSpeedup";
}

// One layer's training cells, or the totals'.
void write_training_cells(std::ostream& f, const TrainingResult& t) {
  for (const TrainingColumn& col : kTrainingColumns) f << ',' << col.get(t);
  f << ',' << ratio(t.step_baseline(), t.step_mercury());
}

void write_compute_report(const std::vector<LayerResult>& results, const Config& c, const std::string& dir) {
  std::ofstream f = open_report(dir, "COMPUTE_REPORT.csv");
  f << "LayerID, Total Cycles, Stall Cycles, Overall Util %, Mapping Efficiency %, Compute Util %,\n";
  const double macs_per_cycle = static_cast<double>(c.array_height * c.array_width);
  for (size_t i = 0; i < results.size(); ++i) {
    const LayerResult& r = results[i];
    const long long g = r.layer.groups, total = g * r.memory.total_cycles;
    const double util = 100.0 * static_cast<double>(g * r.compute.macs) / (macs_per_cycle * static_cast<double>(total));
    f << i << ", " << total << ", " << g * r.memory.stall_cycles << ", " << util << ", "
      << r.compute.mapping_efficiency << ", " << r.compute.compute_util << ",\n";
  }
}

void write_bandwidth_report(const std::vector<LayerResult>& results, const std::string& dir) {
  std::ofstream f = open_report(dir, "BANDWIDTH_REPORT.csv");
  f << "LayerID, Avg IFMAP SRAM BW, Avg FILTER SRAM BW, Avg OFMAP SRAM BW, Avg IFMAP DRAM BW, "
       "Avg FILTER DRAM BW, Avg OFMAP DRAM BW,\n";
  for (size_t i = 0; i < results.size(); ++i) {
    const LayerResult& r = results[i];
    const MemoryResult& mem = r.memory;
    const long long g = r.layer.groups, total = g * mem.total_cycles;
    auto per_cycle = [&](long long words) { return static_cast<double>(g * words) / static_cast<double>(total); };
    // DRAM bandwidth as SCALE-Sim: words over the operand's DRAM span (stop - start + 1) when replayed; else words
    // over the layer's cycles.
    auto dram_bw = [&](long long words, double start, double stop) {
      return mem.exact_reads ? static_cast<double>(words) / (stop - start + 1.0) : per_cycle(words);
    };
    f << i << ", " << per_cycle(r.compute.ifmap_sram_reads) << ", " << per_cycle(r.compute.filter_sram_reads) << ", "
      << per_cycle(r.compute.ofmap_sram_writes) << ", "
      << dram_bw(mem.ifmap_dram_reads, mem.ifmap_dram_start, mem.ifmap_dram_stop) << ", "
      << dram_bw(mem.filter_dram_reads, mem.filter_dram_start, mem.filter_dram_stop) << ", "
      << dram_bw(mem.ofmap_dram_writes, mem.ofmap_dram_start, mem.ofmap_dram_stop) << ",\n";
  }
}

void write_detailed_access_report(const std::vector<LayerResult>& results, const std::string& dir) {
  std::ofstream f = open_report(dir, "DETAILED_ACCESS_REPORT.csv");
  f << "LayerID, SRAM IFMAP Start Cycle, SRAM IFMAP Stop Cycle, SRAM IFMAP Reads, SRAM Filter Start Cycle, "
       "SRAM Filter Stop Cycle, SRAM Filter Reads, SRAM OFMAP Start Cycle, SRAM OFMAP Stop Cycle, "
       "SRAM OFMAP Writes, DRAM IFMAP Start Cycle, DRAM IFMAP Stop Cycle, DRAM IFMAP Reads, "
       "DRAM Filter Start Cycle, DRAM Filter Stop Cycle, DRAM Filter Reads, DRAM OFMAP Start Cycle, "
       "DRAM OFMAP Stop Cycle, DRAM OFMAP Writes,\n";
  for (size_t i = 0; i < results.size(); ++i) {
    const LayerResult& r = results[i];
    const MemoryResult& mem = r.memory;
    const long long g = r.layer.groups;
    // Start/stop cycles: SCALE-Sim's when replayed, else the layer's span.
    f << i;
    f << ", " << mem.ifmap_sram_start << ", " << mem.ifmap_sram_stop << ", " << g * r.compute.ifmap_sram_reads;
    f << ", " << mem.filter_sram_start << ", " << mem.filter_sram_stop << ", " << g * r.compute.filter_sram_reads;
    f << ", " << mem.ofmap_sram_start << ", " << mem.ofmap_sram_stop << ", " << g * r.compute.ofmap_sram_writes;
    f << ", " << mem.ifmap_dram_start << ", " << mem.ifmap_dram_stop << ", " << g * mem.ifmap_dram_reads;
    f << ", " << mem.filter_dram_start << ", " << mem.filter_dram_stop << ", " << g * mem.filter_dram_reads;
    f << ", " << mem.ofmap_dram_start << ", " << mem.ofmap_dram_stop << ", " << g * mem.ofmap_dram_writes;
    f << ",\n";
  }
}

void write_mercury_report(const std::vector<LayerResult>& results, const Config& c, const std::string& dir) {
  std::ofstream f = open_report(dir, "MERCURY_REPORT.csv");
  f << "LayerID,LayerName,Groups,HitLog,Calls,Vectors,Hits,HitRate,SigBits,BaselineCycles,StreamedCycles,"
       "SignatureCycles,LookupCycles,ResultReadCycles,OverheadCycles,MercuryCycles,Speedup";
  if (c.training) write_training_header(f);
  f << '\n';
  for (size_t i = 0; i < results.size(); ++i) {
    const LayerResult& r = results[i];
    const MercuryResult& m = r.mercury;
    f << i << ',' << r.layer.name << ',' << r.layer.groups << ',' << (!m.has_hitlog ? "no hitlog" : m.accelerated ? "yes" : "matmul") << ','
      << r.hits.calls << ',' << r.hits.vectors << ',' << r.hits.hits << ',' << m.hit_rate << ',' << r.hits.sig_bits
      << ',' << m.baseline_cycles << ',' << (m.has_hitlog ? m.streamed_cycles : m.baseline_cycles) << ','
      << m.signature_cycles << ',' << m.lookup_cycles << ',' << m.result_read_cycles << ',' << m.overhead_cycles()
      << ',' << m.mercury_cycles() << ',' << m.speedup();
    if (c.training) write_training_cells(f, r.training);
    f << '\n';
  }
}

// Totals in their own file (MERCURY_REPORT.csv stays one row per layer).
void write_mercury_total(const LayerTotals& t, const Config& c, const std::string& dir) {
  std::ofstream f = open_report(dir, "MERCURY_TOTAL.csv");
  f << "Layers,LayersWithHitLog,LayersWithoutHitLog,Vectors,Hits,HitRate,BaselineCycles,OverheadCycles,"
       "MercuryCycles,Speedup";
  if (c.training) write_training_header(f);
  f << '\n'
    << t.layers << ',' << t.with_hitlog << ',' << t.without_hitlog() << ',' << t.vectors << ',' << t.hits << ','
    << t.hit_rate() << ',' << t.baseline_cycles << ',' << t.overhead_cycles << ',' << t.mercury_cycles << ','
    << ratio(t.baseline_cycles, t.mercury_cycles);
  if (c.training) write_training_cells(f, t.training);
  f << '\n';
}

}  // namespace

void write_reports(const std::vector<LayerResult>& results, const Config& c, bool with_mercury, const std::string& dir,
                   const std::vector<LayerEnergy>* energy) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create output directory " + dir + ": " + ec.message());
  write_compute_report(results, c, dir);
  write_bandwidth_report(results, dir);
  write_detailed_access_report(results, dir);
  if (energy) write_energy_report(results, *energy, c, dir);
  if (!with_mercury) return;
  write_mercury_report(results, c, dir);
  write_mercury_total(sum_layers(results), c, dir);
}

}  // namespace msim
