"""mercury.profile: MERCURY's study for any model and any loop, used as torch.profiler is for time.

Inside the block the model's conv and linear layers (`kinds`) run as MERCURY layers (mercury::conv2d /
mercury::linear on their own weights: ProfiledLayer; nothing is replaced, and on exit the model is exactly as it
was); `prof.step()` marks a step; `schedule` (mercury.schedule: torch.profiler's) picks the recorded steps, each
cycle's active steps being one window; a finished window is simulated (mercury-sim on its hit log, as a training
step when backward ran in it; attention's matmuls at baseline) and handed to `on_report` as a mercury.report.Report.
The profile owns the process's hit log while active: it takes the records at every step (and every half capacity of
calls) and empties the log, streaming a window's records to WINDOW/hitlog/, so a run of any length keeps bounded
memory and loses no record.

>>> import torch, mercury
>>> model = torch.nn.Sequential(torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.Flatten(),
...                             torch.nn.Linear(8 * 8 * 8, 10))
>>> with mercury.profile(model, mode="reuse", sig_bits=12, compare_exact=True) as prof:
...     for _ in range(3):
...         logits = model(torch.zeros(4, 1, 8, 8))
...         prof.step()
>>> [row["name"] for row in prof.summary()["layers"]]
['0', '3']
>>> prof.summary()["quality"]["top1_agreement"]
1.0
>>> prof.table(sort_by="hit_rate", row_limit=1).splitlines()[3].split()[:3]   # name, kind, calls
['0', 'conv2d', '3']
>>> type(model[0].forward).__name__   # restored: the module's own forward again
'method'
"""
import contextlib
import os
import tempfile
import warnings
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Union

import torch
import torch.nn as nn
from torch.profiler import ProfilerAction

from mercury import settings as mercury_settings
from mercury import tools
from mercury.hitlog import hitlog_reset, hitlog_stats, hitlog_take
from mercury.matmuls import capture_matmuls
from mercury.order import ALL_KINDS, check_kinds, layer_calls, model_device
from mercury.profiled_layer import ABSENT, ProfiledLayer, restore_forward
from mercury.quality import make_measure
from mercury.report import Report
from mercury.schedules import RECORDING, every_step
from mercury.window import Window


class profile:
    """Profile `model` (any eager nn.Module, on its own device) inside a `with` block; see the module doc.

    kinds: which layers run as MERCURY layers ('conv2d', 'linear'; default both). settings (mode, sig_bits, ...:
    mercury.settings.table()) apply to every layer; per_layer overrides by layer id (execution order) or module
    name; calibration: a mercury.calibrate result or its saved file (its per-layer settings). example: an input
    to number the layers by (one no-grad forward, as mercury.convert does); without it layers are numbered in the
    order of their first calls. schedule: mercury.schedule(...) (default: every step, one window ended by the
    block's end). on_report: called with each finished window's Report. config: a shipped accelerator config's
    name ("eyeriss_ws", the default) or a path. compare_exact: run each recorded forward again exactly (reuse off;
    the same inputs, random state and buffers) and measure the difference with `quality` ("logits", "embedding" or
    a function (approx_output, exact_output) -> dict of numbers; mercury.quality.make_measure). out: the windows'
    folder (one window: `out` itself; several: out/window-NNN, or `out` formatted with {window}); default a
    temporary folder holding the latest window. simulate=False: hit rates only (no mercury-sim). label: what the
    table's title says of the model besides its class (say "random weights" where they are)."""

    def __init__(self, model: nn.Module, *, kinds: Sequence[str] = ALL_KINDS, schedule: Optional[Callable] = None,
                 on_report: Optional[Callable[[Report], Any]] = None, config: Optional[str] = None,
                 per_layer: Optional[Mapping[Union[int, str], Mapping]] = None, calibration=None,
                 compare_exact: bool = False, quality: Union[None, str, Callable] = None, out: Optional[str] = None,
                 simulate: bool = True, sim: Optional[str] = None, example: Any = None, label: str = "",
                 **settings):
        if not isinstance(model, nn.Module) or isinstance(model, torch.jit.ScriptModule):
            raise TypeError(f"mercury.profile needs an eager nn.Module, got {type(model).__name__}")
        self.model, self.kinds = model, check_kinds(kinds, "mercury.profile")
        self.settings = mercury_settings.check(dict(mercury_settings.defaults(), **settings), "mercury.profile")
        self.per_layer = _per_layer(per_layer, calibration)
        self.config = tools.resolve_config(config)
        self.sim = tools.require_tool("mercury-sim", sim) if simulate else None
        self.simulate, self.schedule = simulate, schedule or every_step
        self.on_report, self.compare_exact, self.example = on_report, compare_exact, example
        self.quality, self.label = quality, label
        make_measure(quality)  # a bad name fails here, not at the first window
        self.out, self._tmp = out, None
        self.all_layers = _profiled_layers(model, self.kinds, self.settings, self.per_layer, self._on_call)
        self.reports: List[Report] = []
        self.step_records: List[Dict] = []   # the records of the last recorded step (for policies)
        self.step_num, self.action, self._active, self._paused = 0, None, False, False
        self._window: Optional[Window] = None
        self._numbered: List[ProfiledLayer] = []
        self._saved_forward, self._root_attached = None, False

    # ------------------------------------------------------------------------------------------- the block

    def __enter__(self) -> "profile":
        if self._active:
            raise RuntimeError("mercury.profile: this profile is already active")
        if self.example is not None and not self._numbered:
            self._number_by_example()
        try:
            for layer in self.all_layers:
                layer.attach()
            self._saved_forward = self.model.__dict__.get("forward", ABSENT)
            self._own_forward = self.model.forward
            self.model.forward = self._forward
            self._root_attached = True
        except Exception:
            self._detach()
            raise
        hitlog_reset()
        self._poll_every = max(1, hitlog_stats()["record_capacity"] // 2)
        self._calls, self._forwards, self._backward_ran, self._watch_backward = 0, 0, False, True
        self._active, self.step_num = True, 0
        self.action = self.schedule(0)
        self._begin_step()
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        try:
            self._end_step(last=True)  # the step the block ends in, unless it ran no forward
            if self._window is not None and self._window.steps:
                self._finish_window()
            self._window = None
        except Exception as e:
            if exc_type is None:
                raise
            warnings.warn(f"mercury.profile: the last window could not be finished ({e}); the exception raised "
                          "inside the block follows")
        finally:
            self._detach()
            self._active = False
        return False  # an exception raised inside the block comes through unchanged

    def _detach(self) -> None:
        if self._root_attached:
            restore_forward(self.model, self._saved_forward)
            self._root_attached = False
        for layer in self.all_layers:
            layer.detach()

    # ------------------------------------------------------------------------------------------- steps

    def step(self) -> None:
        """Marks the end of a step (call it once per iteration of the loop, as torch.profiler's step())."""
        if not self._active:
            raise RuntimeError("mercury.profile.step() called outside its `with mercury.profile(...)` block")
        self._end_step()
        previous = self.action
        self.step_num += 1
        self.action = self.schedule(self.step_num)
        if previous in RECORDING and (previous == ProfilerAction.RECORD_AND_SAVE or self.action not in RECORDING):
            self._finish_window()
        self._begin_step()

    def _begin_step(self) -> None:
        self._forwards, self._backward_ran, self._watch_backward = 0, False, True
        if self.action in RECORDING and self._window is None:
            self._window = Window(len(self.reports) + 1, self._window_folder(len(self.reports) + 1),
                                  make_measure(self.quality) if self.compare_exact else None)

    def _end_step(self, last: bool = False) -> None:
        recording = self.action in RECORDING
        if recording:
            self.step_records = []
        self._collect(recording)
        if recording and self._window is not None and (self._forwards or not last):
            self._window.end_step(self.step_num, self._backward_ran)

    def _finish_window(self) -> None:
        window, self._window = self._window, None
        model = type(self.model).__name__ + (f" ({self.label})" if self.label else "")
        report = window.finish(self.layers, self.settings, self.config, self.sim, self.simulate, model)
        self.reports.append(report)
        if self.on_report is not None:
            self.on_report(report)

    def _window_folder(self, index: int) -> str:
        if self.out is None:  # a temporary folder holding the latest window only
            if self._tmp is not None:
                self._tmp.cleanup()
            self._tmp = tempfile.TemporaryDirectory(prefix="mercury-profile-")
            return self._tmp.name
        if self.schedule is every_step:
            return self.out
        return self.out.format(window=index) if "{window}" in self.out else os.path.join(self.out, f"window-{index:03d}")

    # ------------------------------------------------------------------------------------------- records

    def _collect(self, keep: bool) -> None:
        """Takes the hit log's records into the window (keep) or drops them, emptying the log in the same step."""
        device = model_device(self.model)
        if device.type == "cuda":  # records of work still running on the device land when it is done
            torch.cuda.synchronize(device)
        keep = keep and not self._paused and self._window is not None
        taken = hitlog_take(with_hitmaps=keep and any(layer.record_hitmap for layer in self._numbered))
        if keep:
            if taken.overflow:  # handled here: the dropped calls' totals go to the window
                warnings.warn(f"mercury.profile: the hit log overflowed within one poll; the dropped calls' "
                              f"totals are counted (and in {self._window.folder}/hitlog/overflow.csv)")
            self._window.add(taken.records, taken.overflow)
            self.step_records += taken.records
        self._calls = 0

    def _on_call(self, layer: ProfiledLayer, x, out) -> None:
        if layer.layer_id is None:
            self._number(layer)
            return
        self._calls += 1
        if self._calls >= self._poll_every:
            self._collect(self.action in RECORDING)
        if self._watch_backward and out.requires_grad:
            out.register_hook(self._on_backward)
            self._watch_backward = False

    def _on_backward(self, grad):
        self._backward_ran = True

    def _number(self, layer: ProfiledLayer) -> None:
        layer.layer_id = len(self._numbered)
        layer.configure(**self.per_layer.get(layer.layer_id, {}))
        self._numbered.append(layer)

    def _number_by_example(self) -> None:
        by_name = {layer.name: layer for layer in self.all_layers}
        for call in layer_calls(self.model, self.example, self.kinds):
            if call.module_name in by_name and by_name[call.module_name].layer_id is None:
                self._number(by_name[call.module_name])

    @property
    def layers(self) -> List[ProfiledLayer]:
        """The numbered layers, by layer id (a layer is numbered at its first call, or by `example`)."""
        return list(self._numbered)

    # ------------------------------------------------------------------------------------------- forwards

    def _forward(self, *args, **kwargs):
        """The model's forward while profiled: attention's matmuls captured in a window's first forward, and with
        compare_exact the exact forward on the same inputs beside it."""
        from mercury.exact_forward import exact_forward, rng_state
        self._forwards += 1
        window = self._window if self.action in RECORDING and not self._paused else None
        if window is None or (window.matmuls is not None and not self.compare_exact):
            return self._own_forward(*args, **kwargs)
        state = rng_state(model_device(self.model)) if self.compare_exact else None
        if window.matmuls is None:
            capture = capture_matmuls(self.model)
            with capture:
                out = self._own_forward(*args, **kwargs)
            window.matmuls = capture.calls
        else:
            out = self._own_forward(*args, **kwargs)
        if self.compare_exact:
            exact = exact_forward(self.model, self.all_layers, self._own_forward, args, kwargs, state)
            window.measure.add(out, exact)
        return out

    @contextlib.contextmanager
    def paused(self, exact: bool = False):
        """Nothing inside is recorded (e.g. an evaluation between epochs); exact=True also runs the layers' own
        forwards (the exact model)."""
        self._collect(self.action in RECORDING)
        self._paused = True
        for layer in self.all_layers:
            layer.exact = exact
        try:
            yield self
        finally:
            self._collect(False)
            self._paused = False
            for layer in self.all_layers:
                layer.exact = False

    # ------------------------------------------------------------------------------------------- results

    def _report(self) -> Report:
        if not self.reports:
            raise RuntimeError("mercury.profile: no window has finished yet (a window ends with the block, or at the "
                               "step() after its last active step)")
        return self.reports[-1]

    def table(self, sort_by: Optional[str] = "speedup", row_limit: int = 20) -> str:
        """The latest window's table (mercury.report.Report.table)."""
        return self._report().table(sort_by, row_limit)

    def summary(self) -> Dict:
        """The latest window's numbers (what summary.json holds)."""
        return self._report().summary()

    def export(self, folder: str, plots: bool = True) -> str:
        """The latest window's hit log, topology, simulator reports, layers.csv, summary.json and plots in folder."""
        return self._report().export(folder, plots)


def _per_layer(per_layer, calibration) -> Dict:
    """per_layer overrides, and a calibration's (a mercury.calibrate.Calibration or its file) under them."""
    merged: Dict = {}
    if calibration is not None:
        from mercury import calibrate
        merged.update(calibrate.load(calibration) if isinstance(calibration, str) else calibration.per_layer)
    for key, value in (per_layer or {}).items():
        merged[key] = dict(merged.get(key, {}), **value)
    return {key: mercury_settings.check(value, f"mercury.profile per_layer[{key!r}]") for key, value in merged.items()}


def _profiled_layers(model: nn.Module, kinds, settings: Dict, per_layer: Dict, on_call) -> List[ProfiledLayer]:
    from mercury.convert import _CONVERTED
    from mercury.order import layer_kind
    found = [(name, m) for name, m in model.named_modules() if layer_kind(m) in kinds]
    converted = [name for name, m in found if isinstance(m, _CONVERTED)]
    if converted:
        raise ValueError(f"mercury.profile: {converted[:3]} are already MERCURY layers (mercury.convert): profile "
                         "the plain model")
    if not found:
        others = sorted({layer_kind(m) for m in model.modules()} - {None} - set(kinds))
        hint = f" (it has {' and '.join(others)} layers: pass kinds=mercury.order.ALL_KINDS)" if others else ""
        raise ValueError(f"mercury.profile: {type(model).__name__} has no layer of kinds {list(kinds)}" + hint)
    names = [name for name, _ in found]
    unknown = [k for k in per_layer if k not in names and not (isinstance(k, int) and 0 <= k < len(names))]
    if unknown:
        raise ValueError(f"mercury.profile: per_layer names layer(s) {unknown} that the model does not have "
                         f"(ids 0..{len(names) - 1}, or names such as {names[:3]})")
    return [ProfiledLayer(name, m, dict(settings, **per_layer.get(name, {})), on_call) for name, m in found]
