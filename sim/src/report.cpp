#include "report.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <stdexcept>

namespace msim {

std::vector<LayerResult> simulate(const std::vector<Layer>& layers, const Config& c,
                                  const std::map<long long, LayerHits>* hitlogs) {
  std::vector<LayerResult> out;
  for (size_t i = 0; i < layers.size(); ++i) {
    LayerResult r;
    r.layer = layers[i];
    r.compute = compute_layer(r.layer, c);
    r.memory = memory_layer(r.layer, r.compute, c);
    const LayerHits* hits = nullptr;
    if (hitlogs) {
      auto it = hitlogs->find(static_cast<long long>(i));  // row i is layer id i
      if (it != hitlogs->end()) {
        hits = &it->second;
        r.hits = it->second;
      }
    }
    r.mercury = mercury_layer(r.layer, c, hits);
    out.push_back(r);
  }
  return out;
}

namespace {

std::ofstream open_report(const std::string& dir, const std::string& name) {
  std::ofstream f(dir + "/" + name);
  if (!f) throw std::runtime_error("cannot write " + dir + "/" + name);
  f << std::setprecision(10);
  return f;
}

}  // namespace

void write_reports(const std::vector<LayerResult>& results, const Config& c, bool with_mercury, const std::string& dir) {
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    throw std::runtime_error("cannot create output directory " + dir + ": " + std::strerror(errno));
  }
  const double macs_per_cycle = static_cast<double>(c.array_height * c.array_width);
  std::ofstream compute = open_report(dir, "COMPUTE_REPORT.csv");
  compute << "LayerID, Total Cycles, Stall Cycles, Overall Util %, Mapping Efficiency %, Compute Util %,\n";
  std::ofstream bandwidth = open_report(dir, "BANDWIDTH_REPORT.csv");
  bandwidth << "LayerID, Avg IFMAP SRAM BW, Avg FILTER SRAM BW, Avg OFMAP SRAM BW, Avg IFMAP DRAM BW, "
               "Avg FILTER DRAM BW, Avg OFMAP DRAM BW,\n";
  std::ofstream detail = open_report(dir, "DETAILED_ACCESS_REPORT.csv");
  detail << "LayerID, SRAM IFMAP Start Cycle, SRAM IFMAP Stop Cycle, SRAM IFMAP Reads, SRAM Filter Start Cycle, "
            "SRAM Filter Stop Cycle, SRAM Filter Reads, SRAM OFMAP Start Cycle, SRAM OFMAP Stop Cycle, "
            "SRAM OFMAP Writes, DRAM IFMAP Start Cycle, DRAM IFMAP Stop Cycle, DRAM IFMAP Reads, "
            "DRAM Filter Start Cycle, DRAM Filter Stop Cycle, DRAM Filter Reads, DRAM OFMAP Start Cycle, "
            "DRAM OFMAP Stop Cycle, DRAM OFMAP Writes,\n";
  for (size_t i = 0; i < results.size(); ++i) {
    const LayerResult& r = results[i];
    const long long g = r.layer.groups;
    const long long total = g * (r.compute.cycles + r.memory.stall_cycles);
    const double util = 100.0 * static_cast<double>(g * r.compute.macs) / (macs_per_cycle * static_cast<double>(total));
    compute << i << ", " << total << ", " << g * r.memory.stall_cycles << ", " << util << ", "
            << r.compute.mapping_efficiency << ", " << r.compute.compute_util << ",\n";
    auto per_cycle = [&](long long words) { return static_cast<double>(g * words) / static_cast<double>(total); };
    bandwidth << i << ", " << per_cycle(r.compute.ifmap_sram_reads) << ", " << per_cycle(r.compute.filter_sram_reads)
              << ", " << per_cycle(r.compute.ofmap_sram_writes) << ", " << per_cycle(r.memory.ifmap_dram_reads) << ", "
              << per_cycle(r.memory.filter_dram_reads) << ", " << per_cycle(r.memory.ofmap_dram_writes) << ",\n";
    // Start/stop cycles are the layer's span: this model has no traces to time individual accesses.
    const long long words[6] = {r.compute.ifmap_sram_reads, r.compute.filter_sram_reads, r.compute.ofmap_sram_writes,
                                r.memory.ifmap_dram_reads, r.memory.filter_dram_reads, r.memory.ofmap_dram_writes};
    detail << i;
    for (long long w : words) detail << ", 0, " << total << ", " << g * w;
    detail << ",\n";
  }
  if (!with_mercury) return;
  std::ofstream mercury = open_report(dir, "MERCURY_REPORT.csv");
  mercury << "LayerID,LayerName,Groups,HitLog,Calls,Vectors,Hits,HitRate,SigBits,BaselineCycles,StreamedCycles,"
             "SignatureCycles,LookupCycles,ResultReadCycles,OverheadCycles,MercuryCycles,Speedup\n";
  for (size_t i = 0; i < results.size(); ++i) {
    const LayerResult& r = results[i];
    const MercuryResult& m = r.mercury;
    mercury << i << ',' << r.layer.name << ',' << r.layer.groups << ',' << (m.has_hitlog ? "yes" : "missing") << ','
            << r.hits.calls << ',' << r.hits.vectors << ',' << r.hits.hits << ',' << m.hit_rate << ','
            << r.hits.sig_bits << ',' << m.baseline_cycles << ',' << (m.has_hitlog ? m.streamed_cycles : m.baseline_cycles)
            << ',' << m.signature_cycles << ',' << m.lookup_cycles << ',' << m.result_read_cycles << ','
            << m.overhead_cycles() << ',' << m.mercury_cycles() << ',' << m.speedup() << '\n';
  }
}

void print_table(const std::vector<LayerResult>& results, const Config& c, bool with_mercury, std::ostream& out) {
  out << "mercury-sim: " << c.run_name << ", " << c.array_height << "x" << c.array_width << " array, "
      << dataflow_name(c.dataflow) << "\n";
  out << std::setw(4) << "id" << "  " << std::left << std::setw(36) << "layer" << std::right << std::setw(14)
      << "cycles";
  if (with_mercury) out << std::setw(9) << "hit %" << std::setw(14) << "MERCURY" << std::setw(12) << "overhead" << std::setw(9) << "speedup";
  out << "\n";
  long long base = 0, merc = 0, overhead = 0, vectors = 0, hits = 0, missing = 0;
  char buf[32];
  for (size_t i = 0; i < results.size(); ++i) {
    const LayerResult& r = results[i];
    const MercuryResult& m = r.mercury;
    out << std::setw(4) << i << "  " << std::left << std::setw(36) << r.layer.name.substr(0, 36) << std::right
        << std::setw(14) << m.baseline_cycles;
    if (with_mercury) {
      if (m.has_hitlog) {
        std::snprintf(buf, sizeof(buf), "%.1f", 100.0 * m.hit_rate);
        out << std::setw(9) << buf << std::setw(14) << m.mercury_cycles() << std::setw(12) << m.overhead_cycles();
        std::snprintf(buf, sizeof(buf), "%.2fx", m.speedup());
        out << std::setw(9) << buf;
      } else {
        out << "   no hit log: baseline only";
        ++missing;
      }
    }
    out << "\n";
    base += m.baseline_cycles;
    merc += m.mercury_cycles();
    overhead += m.overhead_cycles();
    vectors += r.hits.vectors;
    hits += r.hits.hits;
  }
  out << std::setw(4) << "" << "  " << std::left << std::setw(36) << ("TOTAL (" + std::to_string(results.size()) + " layers)")
      << std::right << std::setw(14) << base;
  if (with_mercury) {
    std::snprintf(buf, sizeof(buf), "%.1f", vectors ? 100.0 * hits / vectors : 0.0);
    out << std::setw(9) << buf << std::setw(14) << merc << std::setw(12) << overhead;
    std::snprintf(buf, sizeof(buf), "%.2fx", static_cast<double>(base) / static_cast<double>(merc));
    out << std::setw(9) << buf;
    if (missing) out << "\nwarning: " << missing << " layer(s) had no hit log and count at baseline cycles";
  }
  out << "\n";
}

}  // namespace msim
