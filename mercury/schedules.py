"""Which steps of a run mercury.profile records: torch.profiler's schedule, with its semantics unchanged.

A step's action is torch.profiler.ProfilerAction: NONE (a wait step: the layers still run as MERCURY layers, their
records are dropped), WARMUP (the same: torch.profiler's warm-up, kept for its semantics), RECORD, and
RECORD_AND_SAVE (the last active step of a cycle: the window ends after it and goes to the report handler).

>>> import mercury
>>> from torch.profiler import ProfilerAction
>>> every_tenth = mercury.schedule(wait=8, warmup=1, active=1)
>>> [every_tenth(step).name for step in (0, 8, 9, 19)]
['NONE', 'WARMUP', 'RECORD_AND_SAVE', 'RECORD_AND_SAVE']
>>> mercury.schedule(wait=5, warmup=0, active=0)
Traceback (most recent call last):
  ...
ValueError: mercury.schedule: active=0: a schedule with no active step records nothing (active must be >= 1)
"""
import warnings
from typing import Callable

from torch.profiler import ProfilerAction
from torch.profiler import schedule as _torch_schedule

RECORDING = (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE)


def schedule(*, wait: int, warmup: int = 0, active: int, repeat: int = 0,
             skip_first: int = 0) -> Callable[[int], ProfilerAction]:
    """torch.profiler.schedule(wait, warmup, active, repeat, skip_first): after `skip_first` steps, cycles of `wait`
    steps, `warmup` steps and `active` recorded steps; `repeat` cycles (0: until the run ends). Each cycle's active
    steps are one window, reported when its last step ends. The arguments are checked here, by name."""
    for name, value in (("wait", wait), ("warmup", warmup), ("repeat", repeat), ("skip_first", skip_first)):
        if not isinstance(value, int) or value < 0:
            raise ValueError(f"mercury.schedule: {name}={value!r} must be an int >= 0")
    if not isinstance(active, int) or active < 1:
        raise ValueError(f"mercury.schedule: active={active!r}: a schedule with no active step records nothing "
                         "(active must be >= 1)")
    with warnings.catch_warnings():  # torch warns that warmup=0 skews its timings; nothing here is timed
        warnings.simplefilter("ignore")
        return _torch_schedule(wait=wait, warmup=warmup, active=active, repeat=repeat, skip_first=skip_first)


def every_step(step: int) -> ProfilerAction:
    """The default schedule: every step recorded, all in one window (reported when the profile block ends)."""
    return ProfilerAction.RECORD
