#!/usr/bin/env bash
# The study's main command: build (if needed), then run the runner with its defaults
# (resnet101, 4 batches x 8 real photos, observe mode, configs/eyeriss_ws.cfg). Extra arguments go to the runner,
# e.g. bash benchmarks/run_main.sh --all   or   bash benchmarks/run_main.sh --model alexnet --mode reuse
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-/usr/bin/python3}
if [ ! -f mercury/libmercury_ops.so ] || { [ -f sim/CMakeLists.txt ] && [ ! -x build/sim/mercury-sim ]; }; then
  echo "== building (cmake -S . -B build && cmake --build build -j2)"
  cmake -S . -B build >/dev/null
  cmake --build build -j"$(nproc)"
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
exec "$PY" benchmarks/run_study.py "$@"
