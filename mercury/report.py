"""What one finished window of mercury.profile says: per layer (the model's module names) calls, hit rate, simulated
baseline and MERCURY cycles, speedup and energy, the model's totals (attention's matmuls included, at baseline), and
what reuse did to the output; as a table, a dict (summary.json) and files (export).

In a training window (backward ran in its steps) the simulator runs a training step (mercury-sim --training:
forward, input-gradient and weight-gradient GEMMs); the table then shows the step's cycles and energy.
"""
import os
import shutil
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from mercury.files import write_csv, write_json
from mercury.simulate import SimReport

# The table's sort keys: sort_by name -> the row's field (sorted descending, as torch.profiler's table sorts).
SORT_KEYS = {"speedup": "speedup", "hit_rate": "hit_rate", "calls": "calls", "vectors": "vectors",
             "baseline_cycles": "baseline_cycles", "mercury_cycles": "mercury_cycles",
             "baseline_energy": "baseline_energy_uj", "mercury_energy": "mercury_energy_uj", "layer_id": "layer_id"}
CSV_COLUMNS = ["layer_id", "name", "kind", "mode", "calls", "vectors", "hits", "hit_rate", "baseline_cycles",
               "mercury_cycles", "speedup", "baseline_energy_uj", "mercury_energy_uj", "own_energy_share"]
# In a training window the step's figures stand in the table (mercury-sim --training's columns).
_STEP_FIELDS = {"baseline_cycles": "step_baseline", "mercury_cycles": "step_mercury", "speedup": "step_speedup",
                "baseline_energy_uj": "step_baseline_energy_uj", "mercury_energy_uj": "step_mercury_energy_uj"}


@dataclass
class Report:
    """One finished window: its steps, folder (hitlog/, topology.csv, sim/), rows per layer (then attention's
    matmuls, kind 'matmul'), totals, and quality (what reuse did to the output, with compare_exact)."""
    window: int                     # 1, 2, ... in the order the windows finished
    steps: List[int]                # the recorded steps (prof.step() count)
    folder: str
    training: bool                  # backward ran in the window: simulated as training steps
    layers: List[Dict]
    totals: Dict
    settings: Dict                  # the profile's settings (per-layer modes are in the rows)
    config: str
    model: str = ""                 # the model's class name
    quality: Optional[Dict] = None  # the measure's summary (compare_exact), else None
    simulator: Optional[str] = None  # the mercury-sim command, None when not simulated
    sim_error: Optional[str] = None
    sim: Optional[SimReport] = field(default=None, repr=False)

    def figure(self, row: Dict, key: str):
        """A row's (or the totals') figure as the table shows it: the training step's in a training window."""
        return row.get(_STEP_FIELDS.get(key, key) if self.training else key)

    def table(self, sort_by: Optional[str] = "speedup", row_limit: int = 20) -> str:
        """Per layer: name, kind, calls, hit rate, baseline and MERCURY cycles, speedup, energy; sorted by `sort_by`
        (descending: SORT_KEYS; None: execution order), at most `row_limit` layers (-1: all), then the total."""
        from mercury.report_table import format_table
        return format_table(self, sort_by, row_limit)

    def summary(self) -> Dict:
        """The numbers of summary.json (export writes this dict)."""
        return {"model": self.model, "window": self.window, "steps": self.steps, "training": self.training,
                "settings": self.settings, "config": self.config, "simulator": self.simulator,
                "sim_error": self.sim_error, "quality": self.quality, "totals": self.totals, "layers": self.layers,
                "folder": self.folder}

    def _plotted_rows(self) -> List[Dict]:
        """The rows with the figures the table shows (a training window: its step's cycles; the energy breakdown,
        a forward's, is then left out of the plots)."""
        if not self.training:
            return self.layers
        keys = ("baseline_cycles", "mercury_cycles", "speedup")
        return [{**{k: v for k, v in r.items() if k != "energy_parts"}, **{k: self.figure(r, k) for k in keys}}
                for r in self.layers]

    def export(self, folder: str, plots: bool = True) -> str:
        """`folder` gets the window's hitlog/, topology.csv and sim/ (copied, unless it is the window's folder),
        layers.csv, summary.json and, with plots, hit_rate.png (and with the simulator speedup.png, cycles.png,
        energy.png). Returns the folder."""
        os.makedirs(folder, exist_ok=True)
        if os.path.abspath(folder) != os.path.abspath(self.folder):
            for name in ("hitlog", "sim"):
                if os.path.isdir(os.path.join(self.folder, name)):
                    shutil.copytree(os.path.join(self.folder, name), os.path.join(folder, name), dirs_exist_ok=True)
            if os.path.isfile(os.path.join(self.folder, "topology.csv")):
                shutil.copy(os.path.join(self.folder, "topology.csv"), folder)
        write_csv(os.path.join(folder, "layers.csv"), CSV_COLUMNS,
                  ([self.figure(r, c) for c in CSV_COLUMNS] for r in self.layers))
        summary = self.summary()
        if plots:
            from mercury.plots import layer_plots
            label = f"{self.model}, window {self.window} ({len(self.steps)} steps)"
            summary["plots"] = layer_plots(self.model, self._plotted_rows(), folder, label, self.config)
        write_json(os.path.join(folder, "summary.json"), summary)
        return folder
