#!/usr/bin/env bash
# mercury against the torch most users have: PyPI's default on Linux x86_64 is a CUDA build (torch==2.14.1, CUDA
# 13.0, on this project's machines' disk), here on a machine without a GPU. The build needs no CUDA toolkit either
# (cmake/torch.cmake looks for none; checked by hiding /usr/local/cuda, see README), and the libraries link none of
# CUDA, which is checked below.
# A venv (made once, then reused) holds that torch; `pip install .` builds the wheel into it; then, from a folder
# outside the checkout, the op's tests run against the installed package, and so does the study.
#   bash tests/run_torch_cuda_build.sh [VENV_DIR]      (default: .venv-cu in the checkout, ignored by git)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${1:-$ROOT/.venv-cu}"
TORCH_PIN="torch==2.14.1"
# The ops' tests: opcheck, torch.compile, torch.export, TorchScript, their errors, mercury::linear against the
# reference, and the device kernels (what CUDA tensors take) against the CPU kernels.
TESTS=(test_opcheck.py test_compile.py test_export.py test_conv2d_torchscript.py test_conv2d_errors.py test_linear.py
       test_device_kernels.py)
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
# Every other package at the version requirements.txt pins; its torch pin (the CPU reference) left out.
grep -v '^torch==' "$ROOT/requirements.txt" > "$WORK/constraints.txt"

timed() {  # timed LABEL COMMAND...: runs the command, then says how long it took
  local label="$1" start=$SECONDS
  shift
  "$@"
  echo "cuda-build: $label: $((SECONDS - start)) s"
}

make_venv() {
  "${MERCURY_PYTHON:-python3}" -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "$TORCH_PIN" 2>&1 | grep -v "^WARNING: Location" || true
}

install_wheel() {
  "$VENV/bin/pip" install --disable-pip-version-check -c "$WORK/constraints.txt" "$ROOT" pytest hypothesis \
    > "$WORK/pip.log" 2>&1 || { tail -40 "$WORK/pip.log"; exit 1; }
}

run_op_tests() {
  # --noconftest: tests/python/conftest.py puts the checkout on sys.path, and mercury must come from the wheel.
  "$VENV/bin/python" -m pytest -q -p no:cacheprovider --noconftest --rootdir "$WORK" \
    "${TESTS[@]/#/$ROOT/tests/python/}" | tail -3
}

"$VENV/bin/python" -c "import torch; assert torch.__version__.split('+')[0] == '${TORCH_PIN#torch==}'" 2>/dev/null \
  || timed "venv $VENV with $TORCH_PIN" make_venv
echo "cuda-build: pip install $ROOT (log: $WORK/pip.log)"
timed "pip install ." install_wheel
"$VENV/bin/python" -c "import torch; print('cuda-build: torch', torch.__version__, 'CUDA', torch.version.cuda,
      'GPU:', torch.cuda.is_available())"
cd "$WORK"
PACKAGE="$("$VENV/bin/python" -W error -c "import mercury, os; assert mercury.cuda_kernels is True
print(os.path.dirname(mercury.__file__))" 2> notice)" || { cat notice; exit 1; }
[ "$PACKAGE" != "$ROOT/mercury" ] || { echo "cuda-build: mercury came from the checkout, not the wheel"; exit 1; }
echo "cuda-build: mercury from $PACKAGE"
if readelf -d "$PACKAGE"/*.so "$PACKAGE"/bin/* | grep -E "NEEDED.*(cuda|cudart|nvrtc)"; then
  echo "cuda-build: mercury's libraries link CUDA libraries (above): only torch's CPU ones are meant"; exit 1
fi
PATH="$VENV/bin:$PATH" mercury-rewrite --help > /dev/null
timed "op tests (${TESTS[*]})" run_op_tests
timed "study small_cnn" "$VENV/bin/python" -m mercury.study --models small_cnn --batches 1 --out "$WORK/out" | tail -4
test -n "$(find "$WORK/out" -name summary.json)"
echo "cuda-build: the wheel built and tested against $TORCH_PIN (a CUDA build) without a GPU"
