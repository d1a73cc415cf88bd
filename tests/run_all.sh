#!/usr/bin/env bash
# Builds (incrementally) and runs every test: GoogleTest through ctest, then pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DPython3_EXECUTABLE=$PY > build.log 2>&1 || { cat build.log; exit 1; }
cmake --build build -j"$(nproc)" >> build.log 2>&1 || { tail -50 build.log; exit 1; }
(cd build && ctest --output-on-failure -j"$(nproc)")
if [ -x sim/fuzz/run_fuzz.sh ]; then
  bash sim/fuzz/run_fuzz.sh "${FUZZ_SECONDS:-30}"
fi
PYTHONPATH="$PWD" $PY -m pytest -q tests/python
