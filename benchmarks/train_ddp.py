"""MERCURY under DDP (mercury.study.ddp_training): `python3 benchmarks/train_ddp.py --help`; also under
`torchrun --nproc_per_node 2 benchmarks/train_ddp.py`."""
import os
import sys

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from mercury.study.ddp_training import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
