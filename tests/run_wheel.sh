#!/usr/bin/env bash
# The package as a user installs it: a fresh venv that holds only torch, `pip install .` (CMake driven by the
# Python build), then mercury-sim/mercury-rewrite on PATH and the study run from a folder outside the checkout.
#   bash tests/run_wheel.sh [VENV_DIR]      (default: a temporary folder, removed afterwards)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${1:-$(mktemp -d)/venv}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
TORCH_PIN="$(grep -E '^torch==' "$ROOT/requirements.txt" | cut -d' ' -f1)"
"${MERCURY_PYTHON:-python3}" -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check "$TORCH_PIN" 2>&1 | grep -v "^WARNING: Location" || true
echo "wheel: pip install $ROOT into a venv holding only $TORCH_PIN (log: $WORK/pip.log)"
"$VENV/bin/pip" install --disable-pip-version-check "$ROOT" > "$WORK/pip.log" 2>&1 || { tail -40 "$WORK/pip.log"; exit 1; }
cd "$WORK"
PATH="$VENV/bin:$PATH" mercury-sim --help > /dev/null
PATH="$VENV/bin:$PATH" mercury-rewrite --help > /dev/null
"$VENV/bin/python" -c "import mercury, os; assert not mercury.__file__.startswith('$ROOT'), mercury.__file__; print('wheel: mercury from', os.path.dirname(mercury.__file__))"
"$VENV/bin/python" -m mercury.study --models small_cnn --batches 1 --out "$WORK/out" | tail -8
test -s "$WORK/out/small_cnn/summary.json" || test -n "$(find "$WORK/out" -name summary.json)"
echo "wheel: the installed package ran the study outside the checkout"
