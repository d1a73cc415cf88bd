#!/usr/bin/env bash
# The whole GPU check in one run (issue 26): build mercury against the machine's torch, run the op's tests on CUDA
# tensors, compare CUDA and CPU hit-log records on real photos through a trained network, time observe and reuse
# against cuDNN / cuBLAS on ResNet-50 and BERT-base shapes, and train small_cnn on all of Fashion-MNIST, baseline
# against MERCURY (benchmarks/gpu_check.py; one summary table; exit status 1 on any failure).
#   bash benchmarks/gpu_check.sh                 on the GPU machine (torch + CUDA, cmake, ninja; no internet): needs
#                                                gpu-bundle/ (bash benchmarks/gpu_bundle.sh here, then carried there)
#   bash benchmarks/gpu_check.sh --device cpu    here and in CI: the same steps at reduced sizes, the device kernels
#                                                on CPU tensors (MERCURY_KERNELS=device)
# Results go to $OUT (the device tool's output folder) or out/gpu_check/: summary.md, summary.json,
# bench_device.csv, gpu_check.log (and build.log on a GPU); the runs' own files in $TMPDIR/mercury_gpu_check/.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
DEVICE=cuda
while [ $# -gt 0 ]; do
  case "$1" in
    --device) DEVICE="${2:?--device needs cuda or cpu}"; shift 2 ;;
    --device=*) DEVICE="${1#--device=}"; shift ;;
    *) echo "gpu_check: unknown argument '$1' (use --device cuda|cpu)" >&2; exit 2 ;;
  esac
done
case "$DEVICE" in cuda|cpu) ;; *) echo "gpu_check: --device must be cuda or cpu, got '$DEVICE'" >&2; exit 2 ;; esac
RESULTS="${OUT:-$ROOT/out/gpu_check}"
mkdir -p "$RESULTS"
start=$SECONDS
if [ "$DEVICE" = cuda ]; then
  BUNDLE="$ROOT/gpu-bundle"
  [ -f "$BUNDLE/MANIFEST.txt" ] || { echo "gpu_check: $BUNDLE missing: run bash benchmarks/gpu_bundle.sh here first" >&2; exit 1; }
  export MERCURY_FASHION_MNIST="$BUNDLE/fashion-mnist" MERCURY_NSFWJS="$BUNDLE/nsfwjs" MERCURY_OPENCV_DATA="$BUNDLE/opencv"
  # The machine's python3 holds torch; hypothesis (the property tests) comes from the bundle's wheels, unpacked onto
  # PYTHONPATH (no pip, no index needed).
  PY=python3
  SITE="$ROOT/.gpu-site"
  "$PY" -c "import sys, zipfile; [zipfile.ZipFile(w).extractall(sys.argv[1]) for w in sys.argv[2:]]" "$SITE" \
    "$BUNDLE"/wheels/*.whl
  export PYTHONPATH="$SITE${PYTHONPATH:+:$PYTHONPATH}"
  generator=(); command -v ninja > /dev/null && generator=(-G Ninja)
  cmake -S . -B build-gpu "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DPython3_EXECUTABLE="$(command -v "$PY")" \
    -DMERCURY_BUILD_TESTS=OFF > "$RESULTS/build.log" 2>&1 || { tail -30 "$RESULTS/build.log"; exit 1; }
  # mercury._C (the TorchScript pass) needs Python's headers; without them the check goes on without it.
  targets=(mercury_ops mercury-sim)
  cmake --build build-gpu --target help | grep -q mercury_python && targets+=(mercury_python)
  cmake --build build-gpu -j"$(nproc)" --target "${targets[@]}" >> "$RESULTS/build.log" 2>&1 \
    || { tail -30 "$RESULTS/build.log"; exit 1; }
  export MERCURY_SIM="$ROOT/build-gpu/sim/mercury-sim"
else
  bash .ci/install.sh
  bash .ci/fetch_data.sh > /dev/null
  bash tests/build.sh mercury_ops mercury_python mercury-sim mercury-rewrite
  PY="$ROOT/.venv/bin/python"
fi
echo "gpu_check: built in $((SECONDS - start)) s"
"$PY" benchmarks/gpu_check.py --device "$DEVICE" --out "$RESULTS"
