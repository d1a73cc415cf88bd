#!/usr/bin/env bash
# Builds the C++ code with AddressSanitizer + UBSan (build-asan/) and runs its GoogleTest programs.
# Leak checking is off: libtorch's static op registrations are never freed by design.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DMERCURY_SANITIZE=ON -DPython3_EXECUTABLE="$PWD/.venv/bin/python" \
  > build-asan.log 2>&1 || { cat build-asan.log; exit 1; }
cmake --build build-asan -j"$(nproc)" >> build-asan.log 2>&1 || { tail -50 build-asan.log; exit 1; }
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
(cd build-asan && ctest --output-on-failure -j"$(nproc)")
