"""Whole-model forward time on this CPU: the plain scripted model, mercury observe on every layer, mercury reuse
on every layer, and (with --calibration FILE) the calibrated per-layer point, as ratios to the plain model.

    python3 benchmarks/bench_model.py --models inception_v3_nsfwjs --calibration out/inception_v3_nsfwjs/calibration.json
"""
import argparse
import os
import sys

import torch

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import mercury  # noqa: E402
from benchmarks.bench_conv2d import best_of  # noqa: E402
from mercury import calibrate as calibration  # noqa: E402
from mercury.study import cli  # noqa: E402
from mercury.study.choices import DataChoice  # noqa: E402
from mercury.study.inputs import model_input  # noqa: E402
from models import zoo  # noqa: E402


def forward_time(model, x, repeats):
    """Best-of-`repeats` forward time, after one warm-up call."""
    with torch.no_grad():
        return best_of(lambda: model(x), repeats)[0]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_models(p, "inception_v3_nsfwjs")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--calibration", default=None, help="calibration.json of a study run (mercury.calibrate)")
    p.add_argument("--threads", type=int, default=None)
    cli.add_settings(p)
    args = p.parse_args(argv)
    cli.apply_threads(args)
    settings = {k: v for k, v in mercury.settings.from_args(args).items() if k != "mode"}
    for name in cli.models_from(args):
        x = model_input(name, DataChoice(batches=1, batch_size=args.batch_size)).batches[0]
        scripted = torch.jit.script(zoo.build(name).eval())
        variants = {"observe (every layer)": dict(settings, mode="observe"),
                    "reuse (every layer)": dict(settings, mode="reuse")}
        plain = forward_time(scripted, x, args.repeats)
        print(f"{name}, batch {len(x)}: plain {1e3 * plain:.0f} ms")
        for label, s in variants.items():
            model, _, _ = mercury.rewrite(scripted, **s)
            t = forward_time(model, x, args.repeats)
            print(f"  {label:<28} {1e3 * t:8.0f} ms  {t / plain:5.2f}x")
        if args.calibration:
            model, _, _ = mercury.rewrite(scripted, **dict(settings, mode="off"),
                                          per_layer=calibration.load(args.calibration))
            t = forward_time(model, x, args.repeats)
            print(f"  {'calibrated (reuse where on)':<28} {1e3 * t:8.0f} ms  {t / plain:5.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
