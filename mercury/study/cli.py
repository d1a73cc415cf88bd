"""The study's command line: argument groups shared by every front end (python3 -m mercury.study, benchmarks/*.py;
one name per flag everywhere: --models, --sig-bits, --config, ...; the MERCURY settings' flags come from the op's
settings table), and the step from parsed arguments to the study's values (mercury.study.choices)."""
import argparse
import os
from typing import Any, List, Mapping, Sequence

import torch

from mercury import settings as mercury_settings
from mercury import tools
from mercury.study.choices import DataChoice, OutputChoice, SimulatorChoice


def add_models(parser: argparse.ArgumentParser, default: str, shorthands: Mapping[str, Sequence[str]] = None) -> None:
    names = ", ".join(f"'{k}' = {','.join(v)}" for k, v in (shorthands or {}).items())
    parser.add_argument("--models", default=default,
                        help=f"comma-separated zoo models (default {default})" + (f"; {names}" if names else ""))


def models_from(args: argparse.Namespace, shorthands: Mapping[str, Sequence[str]] = None) -> List[str]:
    if shorthands and args.models in shorthands:
        return list(shorthands[args.models])
    return [m.strip() for m in args.models.split(",") if m.strip()]


def add_settings(parser: argparse.ArgumentParser, **defaults: Any) -> None:
    mercury_settings.add_arguments(parser, defaults)


def add_simulator(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("simulator")
    g.add_argument("--config", default=tools.config_path("eyeriss_ws.cfg"),
                   help="mercury-sim accelerator config (default configs/eyeriss_ws.cfg, the 12x14 Eyeriss-like "
                        "weight-stationary array)")
    g.add_argument("--sim", default=None, help="mercury-sim binary (default: found next to the package or on PATH)")
    g.add_argument("--no-sim", action="store_true", help="skip the simulator (hit rates only)")


def default_device() -> str:
    """Where models run unless told: "cuda" when torch sees a GPU, else "cpu"."""
    return "cuda" if torch.cuda.is_available() else "cpu"


def device_name(text: str) -> str:
    """A --device value checked against this machine: a torch device string ("cpu", "cuda", "cuda:1") whose device
    exists; argparse.ArgumentTypeError saying why otherwise."""
    try:
        device = torch.device(text)
    except RuntimeError as e:
        raise argparse.ArgumentTypeError(f"--device {text!r}: not a torch device ({e})") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            build = "a CPU build of torch" if torch.version.cuda is None else f"torch built for CUDA {torch.version.cuda}"
            raise argparse.ArgumentTypeError(f"--device {text}: no CUDA device here (torch.cuda.is_available() is "
                                             f"False; {build}): use --device cpu")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise argparse.ArgumentTypeError(f"--device {text}: this machine has {torch.cuda.device_count()} "
                                             "CUDA device(s)")
    elif device.type != "cpu":
        raise argparse.ArgumentTypeError(f"--device {text}: cpu or cuda[:N]")
    return text


def add_device(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", type=device_name, default=default_device(),
                        help=f"where the model runs: cpu, cuda, cuda:N (default here: {default_device()}; the op "
                             "runs where its inputs are, mercury.cuda_kernels says whether it has CUDA kernels)")


def add_output(parser: argparse.ArgumentParser, default_out: str) -> None:
    g = parser.add_argument_group("output")
    g.add_argument("--out", default=default_out, help=f"output folder (default {default_out})")
    g.add_argument("--no-plots", action="store_true")
    g.add_argument("--quiet", action="store_true", help="no progress output")
    g.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")


def default_out(*parts: str) -> str:
    """out/<parts> under the current directory."""
    return os.path.join(os.getcwd(), "out", *parts)


def apply_threads(args: argparse.Namespace) -> None:
    if args.threads:
        torch.set_num_threads(args.threads)


def data_choice(args: argparse.Namespace) -> DataChoice:
    """--batches, --batch-size, --size, --data-seed (those the parser has; the others keep DataChoice's defaults)."""
    given = {field: getattr(args, name) for field, name in (("batches", "batches"), ("batch_size", "batch_size"),
                                                             ("size", "size"), ("seed", "data_seed"))
             if hasattr(args, name)}
    return DataChoice(**given)


def simulator_choice(args: argparse.Namespace) -> SimulatorChoice:
    return SimulatorChoice(config=args.config, binary=args.sim, enabled=not args.no_sim)


def output_choice(args: argparse.Namespace) -> OutputChoice:
    return OutputChoice(folder=args.out, plots=not args.no_plots, quiet=args.quiet)
