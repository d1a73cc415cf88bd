"""Signature-length and cache-size sweeps (mercury.study.sweep): `python3 benchmarks/sweep.py --help`."""
import os
import sys

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from mercury.study.sweep import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
