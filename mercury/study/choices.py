"""What a study run is about, as plain values: which model, which inputs, the simulator, where the output goes.
The command line (mercury.study.cli) builds them; the study's functions read them and never see argparse."""
from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class ModelChoice:
    name: str                       # a models.zoo name
    weights: Optional[str] = None   # state_dict file; None: random init (the nsfwjs models: their npm weights)


@dataclass(frozen=True)
class DataChoice:
    """`batches` batches of `batch_size` inputs at `size` x `size` (None: the model's own); `seed` picks the photo
    crops / variants (mercury.study.inputs says which inputs a model gets)."""
    batches: int = 4
    batch_size: int = 8
    size: Optional[int] = None
    seed: int = 0


@dataclass(frozen=True)
class SimulatorChoice:
    config: str                     # mercury-sim accelerator config
    binary: Optional[str] = None    # None: found next to the package or on PATH (mercury.tools)
    enabled: bool = True            # False: hit rates only


@dataclass(frozen=True)
class OutputChoice:
    folder: str
    plots: bool = True
    quiet: bool = False             # no progress output


@dataclass(frozen=True)
class CalibrationChoice:
    """batches: calibrate per layer on the first N batches and evaluate on the others (0: no calibration, every
    layer uses the study's settings); the targets and trial budget of mercury.calibrate; curve: also every
    candidate on every layer; headroom: also the oracle's bound (mercury.headroom)."""
    batches: int = 0
    target_agreement: float = 0.99
    max_prob_change: float = 0.05
    max_trials: int = 40
    min_cosine: float = 0.99        # a text model's target: every calibration e-mail's embedding cosine
    curve: bool = False
    headroom: bool = False
