"""Oracle reuse headroom of a zoo model on real photos (mercury.headroom): `python3 benchmarks/headroom.py --help`.

  PYTHONPATH=. .venv/bin/python benchmarks/headroom.py --model resnet18 --batch-size 4 --batches 1
  PYTHONPATH=. .venv/bin/python benchmarks/headroom.py --model mobilenet_v2_nsfwjs --out out/headroom/mnv2.json

ImageNet-style models get models.data.image_batches (ImageNet-normalized center crops); the pretrained nsfwjs
models get the same photos through models.tfjs_import.nsfwjs_preprocess (RGB in [0, 1], squashed to size).
"""
import argparse
import json
import os
import sys

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch  # noqa: E402

import mercury  # noqa: E402,F401
from mercury.headroom import DEFAULT_THRESHOLDS, format_table, headroom  # noqa: E402
from models import data, zoo  # noqa: E402


def batches_for(name: str, batch_size: int, num_batches: int):
    if name in zoo.PRETRAINED_MODELS:
        from models import tfjs_import
        size = zoo.input_shape(name)[1]
        paths = data.photo_paths()
        for b in range(num_batches):
            chosen = [paths[(b * batch_size + i) % len(paths)] for i in range(batch_size)]
            yield tfjs_import.nsfwjs_preprocess(tfjs_import.load_photos(chosen), size)
    else:
        c, h, _ = zoo.input_shape(name)
        if c != 3:
            raise SystemExit(f"{name}: photos are RGB, the model takes {c} channels")
        yield from data.image_batches(batch_size, num_batches, size=h)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="resnet18", help="models.zoo name (default resnet18)")
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--batches", type=int, default=1)
    ap.add_argument("--thresholds", type=float, nargs="+", default=list(DEFAULT_THRESHOLDS))
    ap.add_argument("--budget", type=float, default=2e9, help="exact search when P*P*Cout <= this (default 2e9)")
    ap.add_argument("--sample", type=int, default=2048, help="positions searched in larger layers (default 2048)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument("--no-end-to-end", action="store_true", help="skip the runs with reuse applied")
    ap.add_argument("--out", help="write the result as JSON here")
    ap.add_argument("--quiet", action="store_true", help="no per-layer progress lines")
    a = ap.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    model = zoo.build(a.model)
    res = headroom(model, batches_for(a.model, a.batch_size, a.batches), a.thresholds, budget=a.budget,
                   sample=a.sample, seed=a.seed, end_to_end=not a.no_end_to_end,
                   progress=None if a.quiet else (lambda s: print(s, file=sys.stderr, flush=True)))
    res["model_name"] = a.model
    print(format_table(res))
    if a.out:
        os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
        with open(a.out, "w") as f:
            json.dump(res, f, indent=1)
        print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
