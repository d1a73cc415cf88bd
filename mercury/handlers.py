"""Report handlers for mercury.profile's on_report, for the tools runs are watched with (as torch.profiler's
tensorboard_trace_handler is for its traces).

tensorboard_handler(logdir): each finished window's figures as TensorBoard scalars (torch's SummaryWriter), at the
window's last step: per layer (the model's module names) `hit_rate/NAME`, `speedup/NAME`, `energy_uj/NAME` (MERCURY's
energy), the model's `total/hit_rate`, `total/speedup`, `total/energy_ratio` (baseline over MERCURY energy), and what
reuse did to the output, `quality/KEY` (with compare_exact). A training window's figures are its training step's.

>>> import tempfile, torch, mercury
>>> logdir = tempfile.mkdtemp()
>>> model = torch.nn.Linear(16, 4)
>>> with mercury.profile(model, on_report=mercury.tensorboard_handler(logdir), simulate=False) as prof:
...     _ = model(torch.randn(8, 16))
>>> from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
>>> events = EventAccumulator(logdir)
>>> _ = events.Reload()
>>> sorted(tag for tag in events.Tags()["scalars"] if tag.startswith("total"))
['total/hit_rate']
"""
from typing import Callable

from mercury.report import Report


def _scalars(report: Report):
    """(tag, value) of a window's figures (those it has: no cycles without the simulator)."""
    for row in report.layers:
        name = row["name"]
        if row["kind"] != "matmul":
            yield f"hit_rate/{name}", row["hit_rate"]
        for tag, key in (("speedup", "speedup"), ("energy_uj", "mercury_energy_uj")):
            value = report.figure(row, key)
            if value is not None:
                yield f"{tag}/{name}", value
    t = report.totals
    yield "total/hit_rate", t["hit_rate"]
    if report.figure(t, "speedup") is not None:
        yield "total/speedup", report.figure(t, "speedup")
        yield "total/energy_ratio", t["step_energy_ratio"] if report.training else t["energy_ratio"]
    for key, value in (report.quality or {}).items():
        if isinstance(value, (int, float)):
            yield f"quality/{key}", value


def tensorboard_handler(logdir: str) -> Callable[[Report], None]:
    """An on_report handler writing each window's scalars into `logdir` (see the module doc); flushed per window."""
    from torch.utils.tensorboard import SummaryWriter
    writer = SummaryWriter(logdir)

    def handler(report: Report) -> None:
        step = report.steps[-1] if report.steps else 0
        for tag, value in _scalars(report):
            writer.add_scalar(tag, value, step)
        writer.flush()
    handler.writer = writer
    return handler
