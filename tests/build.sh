#!/usr/bin/env bash
# Configures and builds (incrementally) into build/ against the torch of .venv (.ci/venv.sh makes it); the build log goes to build.log.
#   bash tests/build.sh                 everything, tests included (what tests/run_all.sh needs)
#   bash tests/build.sh TARGET...       only those targets (the main command builds no test binaries)
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DPython3_EXECUTABLE="$PWD/.venv/bin/python" > build.log 2>&1 \
  || { cat build.log; exit 1; }
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build build -j"$(nproc)" "${targets[@]}" >> build.log 2>&1 || { tail -50 build.log; exit 1; }
