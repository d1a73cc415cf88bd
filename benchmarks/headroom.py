"""Oracle reuse headroom of a zoo model on real photos (mercury.headroom): `python3 benchmarks/headroom.py --help`.

  PYTHONPATH=. .venv/bin/python benchmarks/headroom.py --model resnet18 --batch-size 4 --batches 1
  PYTHONPATH=. .venv/bin/python benchmarks/headroom.py --model mobilenet_v2_nsfwjs --out out/headroom/mnv2.json

--device cpu|cuda: where it runs (default cuda when available). The model gets the study's inputs
(mercury.study.inputs): photos, as the nsfwjs models expect them for those,
Fashion-MNIST test images for 1-channel models.
"""
import argparse
import os
import sys

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch  # noqa: E402

import mercury  # noqa: E402,F401
from mercury.files import write_json  # noqa: E402
from mercury.headroom import DEFAULT_THRESHOLDS, format_table, headroom  # noqa: E402
from mercury.study import cli  # noqa: E402
from mercury.study.choices import DataChoice  # noqa: E402
from mercury.study.inputs import model_input  # noqa: E402
from models import zoo  # noqa: E402


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
    cli.add_device(ap)
    a = ap.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    model = zoo.build(a.model).to(a.device)  # the oracle runs where the model is (its inputs are moved there)
    batches = model_input(a.model, DataChoice(batches=a.batches, batch_size=a.batch_size)).batches
    res = headroom(model, batches, a.thresholds, budget=a.budget,
                   sample=a.sample, seed=a.seed, end_to_end=not a.no_end_to_end,
                   progress=None if a.quiet else (lambda s: print(s, file=sys.stderr, flush=True)))
    res["model_name"] = a.model
    print(format_table(res))
    if a.out:
        write_json(a.out, res)
        print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
