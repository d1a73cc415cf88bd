#!/usr/bin/env bash
# README's test command: installs what is missing, builds (incrementally) and runs every test: GoogleTest through
# ctest, the parser fuzzer for a short while, pytest, then the device path: the GPU check's steps at reduced sizes
# with the device kernels (what CUDA tensors take) on CPU tensors (benchmarks/gpu_check.sh --device cpu).
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/install.sh
bash .ci/fetch_data.sh > /dev/null
bash tests/build.sh
(cd build && ctest --output-on-failure -j"$(nproc)")
if [ -x sim/fuzz/run_fuzz.sh ]; then
  bash sim/fuzz/run_fuzz.sh "${FUZZ_SECONDS:-30}"
fi
PYTHONPATH="$PWD" .venv/bin/python -m pytest -q tests/python
bash benchmarks/gpu_check.sh --device cpu
