#!/usr/bin/env bash
# Builds the parser fuzzer with clang (libFuzzer + ASan + UBSan) into build-fuzz/ and runs it for SECONDS.
#   bash sim/fuzz/run_fuzz.sh [SECONDS]     (default 30; exits non-zero on a crash or sanitizer report)
set -euo pipefail
SECONDS_TO_RUN="${1:-30}"
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
command -v clang++ >/dev/null || { echo "run_fuzz: clang++ not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }
cmake -S "$ROOT/sim" -B "$ROOT/build-fuzz" -DCMAKE_CXX_COMPILER=clang++ -DMERCURY_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" > "$ROOT/build-fuzz.log" 2>&1 \
  || { cat "$ROOT/build-fuzz.log"; exit 1; }
cmake --build "$ROOT/build-fuzz" --target mercury_sim_fuzz -j"$(nproc)" >> "$ROOT/build-fuzz.log" 2>&1 \
  || { tail -40 "$ROOT/build-fuzz.log"; exit 1; }
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
cp "$HERE"/corpus/* "$work/"
echo "run_fuzz: fuzzing the config/topology/hit-log parsers for ${SECONDS_TO_RUN}s"
"$ROOT/build-fuzz/mercury_sim_fuzz" -max_total_time="$SECONDS_TO_RUN" -max_len=4096 -print_final_stats=1 "$work" \
  2> "$work/fuzz.log" || { tail -60 "$work/fuzz.log"; exit 1; }
grep -E "^stat::number_of_executed_units|Done" "$work/fuzz.log" | tail -2
echo "run_fuzz: no crash"
