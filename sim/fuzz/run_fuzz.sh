#!/usr/bin/env bash
# Builds the parser fuzzer with clang (libFuzzer + ASan + UBSan) into build-fuzz/ and runs it for SECONDS.
#   bash sim/fuzz/run_fuzz.sh [SECONDS]     (default 30; exits non-zero on a crash or sanitizer report)
# FUZZ_BUILD_DIR overrides the build folder (default build-fuzz/ at the repository root). Needs clang++ and
# libclang-rt-dev (Debian: apt-get install clang libclang-rt-dev).
set -euo pipefail
SECONDS_TO_RUN="${1:-30}"
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BUILD="${FUZZ_BUILD_DIR:-$ROOT/build-fuzz}"
command -v clang++ >/dev/null || { echo "run_fuzz: clang++ not found (apt-get install clang libclang-rt-dev)" >&2; exit 1; }
cmake -S "$ROOT/sim" -B "$BUILD" -DCMAKE_CXX_COMPILER=clang++ -DMERCURY_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" > "$BUILD.log" 2>&1 \
  || { cat "$BUILD.log"; exit 1; }
cmake --build "$BUILD" --target mercury_sim_fuzz -j"$(nproc)" >> "$BUILD.log" 2>&1 \
  || { tail -40 "$BUILD.log"; exit 1; }
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
cp "$HERE"/corpus/* "$work/"
echo "run_fuzz: fuzzing the config/topology/hit-log/energy-table parsers for ${SECONDS_TO_RUN}s"
"$BUILD/mercury_sim_fuzz" -max_total_time="$SECONDS_TO_RUN" -max_len=4096 -print_final_stats=1 "$work" \
  2> "$work/fuzz.log" || { tail -60 "$work/fuzz.log"; exit 1; }
grep -E "^stat::number_of_executed_units|Done" "$work/fuzz.log" | tail -2
echo "run_fuzz: no crash"
