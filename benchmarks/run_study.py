"""The inference study (mercury.study.inference): `python3 benchmarks/run_study.py --help`."""
import os
import sys

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from mercury.study.inference import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
