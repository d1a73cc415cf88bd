"""Progress for long loops: a tqdm bar on a terminal, plain lines (about every 10%) in a log file; and a
throttle for work that reports every small step (at most one line every few seconds)."""
import sys
import time
from typing import Callable, Iterable, Optional


def progress(iterable: Iterable, desc: str, unit: str = "it", total: Optional[int] = None, quiet: bool = False):
    if quiet:
        return iterable
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)
    if sys.stderr.isatty():
        try:
            from tqdm import tqdm
            return tqdm(iterable, desc=desc, unit=unit, total=total, leave=False)
        except ImportError:
            pass
    return _lines(iterable, desc, unit, total)


def _lines(iterable: Iterable, desc: str, unit: str, total: Optional[int]):
    start = time.perf_counter()
    step = max(1, (total or 10) // 10)
    done = 0
    for item in iterable:
        yield item
        done += 1
        if done % step == 0 or done == total:
            of = f"/{total}" if total else ""
            print(f"{desc}: {done}{of} {unit} ({time.perf_counter() - start:.1f} s)", file=sys.stderr, flush=True)


def throttled(say: Callable[[str], None], seconds: float = 10.0) -> Callable[[str], None]:
    """say(message) at most once every `seconds` (the first message always): for callbacks that report per layer."""
    last = [float("-inf")]

    def forward(message: str) -> None:
        now = time.perf_counter()
        if now - last[0] >= seconds:
            last[0] = now
            say(message)
    return forward
