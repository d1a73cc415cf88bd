"""What mercury.profile costs around the op, and that a long profiled run holds its memory.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_profile.py overhead --models small_cnn,minilm_l6
    PYTHONPATH=. .venv/bin/python benchmarks/bench_profile.py memory --steps 1000

overhead: the median training step (forward, backward, Adam; observe mode, so the outputs are exact) of three loops
on the same model and data: plain (torch's layers), op-converted (mercury.convert: every layer a MERCURY layer, no
profile), profiled (mercury.profile on the plain model, every step recorded, prof.step() inside the timed step).
Profiled minus op-converted is the profile's own cost (records taken from the hit log and streamed to files, the
forward shadowing); the window's simulation, run once when the block ends, is reported apart. Steps of the three
loops are interleaved (one of each, in a rotating order) so that other work on the machine hits all three alike;
prof.step()'s own time is measured directly too.

memory: small_cnn trained for --steps steps inside mercury.profile with schedule(wait=90, warmup=0, active=10)
(every window simulated, as a long run would be); the process's RSS every 100 steps.
"""
import argparse
import copy
import os
import sys
import time

import torch
import torch.nn.functional as F

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import mercury  # noqa: E402
from mercury.order import ALL_KINDS, DEFAULT_KINDS, run_example  # noqa: E402
from mercury.study import cli  # noqa: E402


def _data(name: str, batch_size: int, batches: int):
    """(kinds, [(inputs, labels)] batches) of real training data for a zoo model."""
    if name == "minilm_l6":
        from mercury.study.text_inputs import training_tokens
        (ids, mask), labels = training_tokens("training", batch_size * batches)
        return ALL_KINDS, [((ids[i:i + batch_size], mask[i:i + batch_size]), labels[i:i + batch_size])
                           for i in range(0, len(labels), batch_size)]
    from models import data
    x, y = data.fashion_mnist("train", limit=batch_size * batches)
    return DEFAULT_KINDS, [((x[i:i + batch_size],), y[i:i + batch_size]) for i in range(0, len(y), batch_size)]


def _build(name: str):
    from models import zoo
    return zoo.build(name, seed=0, **({"num_classes": 2} if name == "minilm_l6" else {})).train()


class _Loop:
    """One training loop (its model, optimizer, and what it does after each step)."""

    def __init__(self, model, after_step=None):
        self.model, self.after_step, self.times, self.after_times = model, after_step, [], []
        self.opt = torch.optim.Adam(model.parameters(), lr=1e-4)

    def step(self, x, y) -> None:
        start = time.perf_counter()
        self.opt.zero_grad(set_to_none=True)
        F.cross_entropy(run_example(self.model, x), y).backward()
        self.opt.step()
        if self.after_step:
            before = time.perf_counter()
            self.after_step()
            self.after_times.append(time.perf_counter() - before)
        self.times.append(time.perf_counter() - start)

    def median_ms(self, skip: int, after: bool = False) -> float:
        times = sorted((self.after_times if after else self.times)[skip:])
        return 1e3 * times[len(times) // 2]


def overhead(name: str, batch_size: int, steps: int, warmup: int) -> None:
    kinds, batches = _data(name, batch_size, steps + warmup)
    base = _build(name)
    plain, converted, profiled_model = base, copy.deepcopy(base), copy.deepcopy(base)
    mercury.convert(converted, example=batches[0][0], kinds=kinds, mode="observe")
    with mercury.profile(profiled_model, kinds=kinds, mode="observe") as prof:
        loops = {"plain": _Loop(plain), "op-converted": _Loop(converted),
                 "profiled": _Loop(profiled_model, prof.step)}
        for i, (x, y) in enumerate(batches):
            order = list(loops)[i % 3:] + list(loops)[:i % 3]  # each loop first, second, third in turn
            for label in order:
                if label == "op-converted":
                    with prof.paused():  # its records are not the profile's (paused outside the timed step)
                        loops[label].step(x, y)
                else:
                    loops[label].step(x, y)
        window_start = time.perf_counter()
    window_s = time.perf_counter() - window_start  # the block's end: the window's files and its simulation
    ms = {label: loop.median_ms(warmup) for label, loop in loops.items()}
    print(f"{name}, batch {batch_size}, {steps} timed steps (median; observe mode), torch threads "
          f"{torch.get_num_threads()}:")
    for label, value in ms.items():
        print(f"  {label:<13} {value:9.1f} ms  {value / ms['plain']:5.3f}x of plain")
    own = ms["profiled"] - ms["op-converted"]
    at_step = loops["profiled"].median_ms(warmup, after=True)
    print(f"  profiled - op-converted: {own:+.1f} ms a step = {100 * own / ms['op-converted']:+.1f}% of the "
          f"op-converted step; of it prof.step() (records taken, streamed, log emptied): {at_step:.2f} ms = "
          f"{100 * at_step / ms['op-converted']:.2f}%; the window's end (files, mercury-sim --training on "
          f"{len(prof.reports[0].steps)} steps): {window_s:.2f} s once")


def _rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def memory(steps: int, batch_size: int) -> None:
    kinds, batches = _data("small_cnn", batch_size, 50)
    model = _build("small_cnn")
    loop = _Loop(model)
    with mercury.profile(model, kinds=kinds, mode="reuse", schedule=mercury.schedule(wait=90, warmup=0, active=10)
                         ) as prof:
        loop.after_step = prof.step
        for step in range(steps):
            loop.step(*batches[step % len(batches)])
            if (step + 1) % 100 == 0:
                print(f"step {step + 1:5d}: RSS {_rss_mib():7.1f} MiB, {len(prof.reports)} windows reported "
                      f"(last: steps {prof.reports[-1].steps[0]}-{prof.reports[-1].steps[-1]}, hit rate "
                      f"{100 * prof.reports[-1].totals['hit_rate']:.1f}%, step speedup "
                      f"{prof.reports[-1].totals.get('step_speedup', float('nan')):.3f}x)", flush=True)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("what", choices=("overhead", "memory"))
    cli.add_models(p, "small_cnn,minilm_l6")
    p.add_argument("--steps", type=int, default=None, help="timed steps (overhead: 30) or steps run (memory: 1000)")
    p.add_argument("--warmup", type=int, default=3, help="untimed first steps (overhead)")
    p.add_argument("--batch-size", type=int, default=None, help="default 64 (small_cnn), 16 (minilm_l6)")
    p.add_argument("--threads", type=int, default=None)
    args = p.parse_args(argv)
    cli.apply_threads(args)
    if args.what == "memory":
        memory(args.steps or 1000, args.batch_size or 64)
        return 0
    for name in cli.models_from(args):
        overhead(name, args.batch_size or (16 if name == "minilm_l6" else 64), args.steps or 30, args.warmup)
    return 0


if __name__ == "__main__":
    sys.exit(main())
