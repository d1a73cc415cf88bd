"""One active window of mercury.profile: the hit-log records of its steps streamed into WINDOW/hitlog/, per-layer
counts, whether backward ran, attention's matmuls (captured in its first forward), what reuse did to the output;
and, when it ends, the simulator run on it (mercury-sim -c CONFIG -m hitlog -t topology.csv [--training]) and the
Report.

WINDOW/topology.csv names every layer (its module name; attention's matmuls after the MERCURY layers) and gives the
geometry of layers without a record in the window (mode off), which the simulator reports at baseline.
"""
import os
import warnings
from typing import Dict, List, Optional, Sequence

from mercury import topology
from mercury.hitlog_stream import HitlogStream
from mercury.matmuls import MatmulCall, matmul_layers, write_matmul_hitlogs
from mercury.report import Report
from mercury.simulate import mcache_flags, simulate

_COUNTS = ("calls", "hits", "misses", "vectors")
_SIM_FIELDS = ("baseline_cycles", "mercury_cycles", "speedup", "signature_cycles", "lookup_cycles",
               "baseline_energy_uj", "mercury_energy_uj", "own_energy_share", "energy_ratio", "mcache_bytes",
               "energy_parts")
_STEP_FIELDS = ("forward_baseline", "forward_mercury", "input_grad_baseline", "input_grad_mercury",
                "weight_grad_baseline", "weight_grad_mercury", "step_baseline", "step_mercury", "step_speedup",
                "step_baseline_energy_uj", "step_mercury_energy_uj", "step_energy_ratio")


class Window:
    def __init__(self, index: int, folder: str, measure=None):
        self.index, self.folder, self.measure = index, folder, measure
        self.stream = HitlogStream(os.path.join(folder, "hitlog"))
        self.steps: List[int] = []
        self.counts: Dict[int, Dict[str, int]] = {}
        self.backward_steps = 0
        self.matmuls: Optional[List[MatmulCall]] = None

    def add(self, records: Sequence[Dict], overflow: Dict[int, Dict[str, int]]) -> None:
        self.stream.add(records)
        self.stream.add_overflow(overflow)
        for r in records:
            c = self.counts.setdefault(int(r["layer_id"]), dict.fromkeys(_COUNTS, 0))
            c["calls"] += 1
            for key in ("hits", "misses", "vectors"):
                c[key] += int(r[key])
        for layer_id, dropped in overflow.items():  # counted by the C++ log, not stored: their totals still count
            c = self.counts.setdefault(layer_id, dict.fromkeys(_COUNTS, 0))
            for key in _COUNTS:
                c[key] += dropped[key]

    def end_step(self, step: int, backward_ran: bool) -> None:
        self.steps.append(step)
        self.backward_steps += bool(backward_ran)

    def _rows(self, layers) -> List[Dict]:
        rows = []
        for layer in layers:
            c = self.counts.get(layer.layer_id, dict.fromkeys(_COUNTS, 0))
            rows.append({"layer_id": layer.layer_id, "name": layer.name, "kind": layer.kind, "mode": layer.mode,
                         **c, "hit_rate": c["hits"] / c["vectors"] if c["vectors"] else 0.0})
        for row in matmul_layers(self.matmuls or [], len(layers)):
            rows.append({"layer_id": row.layer_id, "name": row.name, "kind": "matmul", "mode": "baseline",
                         **dict.fromkeys(_COUNTS, 0), "hit_rate": 0.0})
        return rows

    def _topology(self, layers) -> Optional[str]:
        missing = [layer.name for layer in layers if layer.first_call is None]
        if missing:
            warnings.warn(f"mercury.profile: no geometry for {missing[:3]} (their first call failed): the "
                          "simulator gets no topology, so its reports name layers by id only")
            return None
        rows = [topology.call_layer(layer.first_call) for layer in layers]
        rows += matmul_layers(self.matmuls or [], len(layers))
        return topology.write_topology(rows, os.path.join(self.folder, "topology.csv"))

    def finish(self, layers, settings: Dict, config: str, sim: Optional[str], simulate_steps: bool,
               model: str) -> Report:
        """Closes the window's files and, with simulate_steps, runs the simulator; returns the Report."""
        hit_dir = self.stream.close()
        write_matmul_hitlogs(self.matmuls or [], hit_dir, len(layers))
        rows = self._rows(layers)
        totals = {k: sum(r[k] for r in rows) for k in _COUNTS}
        totals.update(layers=len(rows), hit_rate=totals["hits"] / totals["vectors"] if totals["vectors"] else 0.0)
        report = Report(self.index, list(self.steps), self.folder, self.backward_steps > 0, rows, totals,
                        dict(settings), config, model, self.measure.summary() if self.measure else None)
        if simulate_steps and rows:
            self._simulate(report, hit_dir, self._topology(layers), settings, sim)
        return report

    def _simulate(self, report: Report, hit_dir: str, topo: Optional[str], settings: Dict, sim: Optional[str]):
        extra = mcache_flags(settings) + (["--training"] if report.training else [])
        try:
            result = simulate(hit_dir, os.path.join(self.folder, "sim"), report.config, sim, topology=topo,
                              extra=extra)
            if len(result.layers) != len(report.layers):
                raise RuntimeError(f"mercury-sim reported {len(result.layers)} layers, the window has "
                                   f"{len(report.layers)}")
        except (FileNotFoundError, RuntimeError) as e:
            report.sim_error = str(e)
            warnings.warn(f"mercury.profile: window {report.window}: simulator failed: {e}")
            return
        report.sim, report.simulator = result, " ".join(result.command)
        names = _SIM_FIELDS + (_STEP_FIELDS if report.training else ())
        for row, layer in zip(report.layers, result.layers):
            row.update({k: layer[k] for k in names if k in layer})
        report.totals.update({k: v for k, v in result.totals.items() if k in names})
        untouched = sum(r["baseline_cycles"] for r in report.layers if r["kind"] == "matmul")
        report.totals["untouched_share"] = untouched / result.totals["baseline_cycles"]
