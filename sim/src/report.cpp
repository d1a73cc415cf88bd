#include "report.h"

#include "energy_report.h"
#include "layer_totals.h"
#include "sparsity.h"

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

// SCALE-Sim v3's numbers for a sparse layer (--compat v3): utilization over the dense MACs and IFMAP SRAM reads
// counted M / N times (sparsity.h); mercury-sim's own are the MACs and reads the sparse array performs.
bool v3_sparse(const LayerResult& r, const Config& c) { return c.compat == Compat::V3 && r.layer.sparse; }
double ifmap_sram_reads(const LayerResult& r, const Config& c) {
  if (!v3_sparse(r, c)) return static_cast<double>(r.compute.ifmap_sram_reads);
  if (r.layer.row_wise_block) return static_cast<double>(v3_row_wise_ifmap_reads(r.layer, c));
  return v3_sparse_ifmap_reads(r.layer, c);
}
// Row-wise (--compat v3): v3 counts the condensed filter's empty slots as reads.
long long filter_sram_reads(const LayerResult& r, const Config& c) {
  return v3_sparse(r, c) && r.layer.row_wise_block ? v3_row_wise_filter_reads(r.layer) : r.compute.filter_sram_reads;
}

void write_compute_report(const std::vector<LayerResult>& results, const Config& c, const std::string& dir) {
  std::ofstream f = open_report(dir, "COMPUTE_REPORT.csv");
  const bool v3 = c.compat == Compat::V3;
  f << (v3 ? "LayerID, Total Cycles (incl. prefetch), Total Cycles, Stall Cycles, Overall Util %, Mapping Efficiency "
             "%, Compute Util %,\n"
           : "LayerID, Total Cycles, Stall Cycles, Overall Util %, Mapping Efficiency %, Compute Util %,\n");
  const double macs_per_cycle = static_cast<double>(c.array_height * c.array_width);
  for (size_t i = 0; i < results.size(); ++i) {
    const LayerResult& r = results[i];
    const MemoryResult& mem = r.memory;
    const long long g = r.layer.groups, total = g * mem.total_cycles;
    const long long macs = v3_sparse(r, c) ? r.layer.ofmap_px() * r.layer.window() * r.layer.filters : r.compute.macs;
    const double util = 100.0 * static_cast<double>(g * macs) / (macs_per_cycle * static_cast<double>(total));
    f << i << ", ";
    // v3: from the first DRAM prefetch to the last OFMAP drain (single_layer_sim.py's overall_cycles).
    const double first_prefetch = std::min(mem.ifmap_dram_start, mem.filter_dram_start);
    if (v3) f << g * static_cast<long long>(mem.ofmap_dram_stop - first_prefetch) << ", ";
    f << total << ", " << g * mem.stall_cycles << ", " << util << ", " << r.compute.mapping_efficiency << ", "
      << r.compute.compute_util << ",\n";
  }
}

void write_bandwidth_report(const std::vector<LayerResult>& results, const Config& c, const std::string& dir) {
  std::ofstream f = open_report(dir, "BANDWIDTH_REPORT.csv");
  f << "LayerID, Avg IFMAP SRAM BW, Avg FILTER SRAM BW, "
    << (c.sparsity.on ? "Avg FILTER Metadata SRAM BW, " : "")
    << "Avg OFMAP SRAM BW, Avg IFMAP DRAM BW, Avg FILTER DRAM BW, Avg OFMAP DRAM BW,\n";
  for (size_t i = 0; i < results.size(); ++i) {
    const LayerResult& r = results[i];
    const MemoryResult& mem = r.memory;
    const long long g = r.layer.groups, total = g * mem.total_cycles;
    auto per_cycle = [&](double words) { return static_cast<double>(g) * words / static_cast<double>(total); };
    // DRAM bandwidth as SCALE-Sim: words over the operand's DRAM span (stop - start + 1) when replayed; else words
    // over the layer's cycles.
    auto dram_bw = [&](long long words, double start, double stop) {
      return mem.exact_reads ? static_cast<double>(words) / (stop - start + 1.0) : per_cycle(static_cast<double>(words));
    };
    f << i << ", " << per_cycle(ifmap_sram_reads(r, c)) << ", " << per_cycle(static_cast<double>(filter_sram_reads(r, c)))
      << ", ";
    if (c.sparsity.on) f << per_cycle(filter_storage(r.layer, c.sparsity.rep).metadata) << ", ";
    f << per_cycle(r.compute.ofmap_sram_writes) << ", "
      << dram_bw(mem.ifmap_dram_reads, mem.ifmap_dram_start, mem.ifmap_dram_stop) << ", "
      << dram_bw(mem.filter_dram_reads, mem.filter_dram_start, mem.filter_dram_stop) << ", "
      << dram_bw(mem.ofmap_dram_writes, mem.ofmap_dram_start, mem.ofmap_dram_stop) << ",\n";
  }
}

void write_detailed_access_report(const std::vector<LayerResult>& results, const Config& c, const std::string& dir) {
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
    f << ", " << mem.ifmap_sram_start << ", " << mem.ifmap_sram_stop << ", ";
    if (v3_sparse(r, c)) {
      f << static_cast<double>(g) * ifmap_sram_reads(r, c);
    } else {
      f << g * r.compute.ifmap_sram_reads;
    }
    f << ", " << mem.filter_sram_start << ", " << mem.filter_sram_stop << ", " << g * filter_sram_reads(r, c);
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

// SCALE-Sim v3's SPARSE_REPORT.csv: per layer the filter's storage (sparsity.h) and its metadata per cycle.
void write_sparse_report(const std::vector<LayerResult>& results, const Config& c, const std::string& dir) {
  std::ofstream f = open_report(dir, "SPARSE_REPORT.csv");
  f << "LayerID, Sparsity Representation, Original Filter Storage, New Storage (Filter+Metadata), Filter Metadata "
       "Storage, Avg FILTER Metadata SRAM BW, \n";
  for (size_t i = 0; i < results.size(); ++i) {
    const LayerResult& r = results[i];
    const FilterStorage s = filter_storage(r.layer, c.sparsity.rep);
    const double g = static_cast<double>(r.layer.groups);
    f << i << ", " << sparse_rep_name(c.sparsity.rep) << ", " << r.layer.groups * s.original << ", " << g * s.compressed
      << ", " << g * s.metadata << ", " << s.metadata / static_cast<double>(r.memory.total_cycles) << ",\n";
  }
}

}  // namespace

void write_reports(const std::vector<LayerResult>& results, const Config& c, bool with_mercury, const std::string& dir,
                   const std::vector<LayerEnergy>* energy) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create output directory " + dir + ": " + ec.message());
  write_compute_report(results, c, dir);
  write_bandwidth_report(results, c, dir);
  write_detailed_access_report(results, c, dir);
  if (c.sparsity.on) write_sparse_report(results, c, dir);
  if (energy) write_energy_report(results, *energy, c, dir);
  if (!with_mercury) return;
  write_mercury_report(results, c, dir);
  write_mercury_total(sum_layers(results), c, dir);
}

}  // namespace msim
