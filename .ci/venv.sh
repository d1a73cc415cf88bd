#!/usr/bin/env bash
# Creates (once) the virtual environment .venv in the checkout with the machine's python3 and installs the pinned
# Python packages of requirements.txt from PyPI (torch==2.13.0 among them). Idempotent: when .venv already holds
# what requirements.txt asks for (a stamp of its hash), it does nothing. Prints the interpreter's path last.
#   MERCURY_PYTHON=/path/to/python3 bash .ci/venv.sh     another interpreter for a new .venv
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="$ROOT/.venv"
STAMP="$VENV/.mercury-requirements.sha1"
want="$(sha1sum "$ROOT/requirements.txt" | cut -d' ' -f1)"
if [ -x "$VENV/bin/python" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$want" ]; then
  echo "$VENV/bin/python"; exit 0
fi
if [ ! -x "$VENV/bin/python" ]; then
  "${MERCURY_PYTHON:-python3}" -m venv "$VENV" >&2
fi
echo "venv: installing requirements.txt into $VENV" >&2
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$ROOT/requirements.txt" 2>&1 \
  | grep -v "^WARNING: Location .* is ignored" >&2 || true
"$VENV/bin/python" -c "import torch, numpy, pytest" >&2 \
  || { echo "venv: the packages of requirements.txt did not install into $VENV" >&2; exit 1; }
echo "$want" > "$STAMP"
echo "$VENV/bin/python"
