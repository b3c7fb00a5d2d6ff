#!/bin/sh
# Installs the peer engines vitbench is compared against, on Debian 12, as root:
#   PyTorch 1.13 (Debian's python3-torch) with numpy and onnx, for /usr/bin/python3, and
#   OpenBLAS (OpenMP build): Debian's torch does its fp32 GEMMs through libblas.so.3, which
#   without it is the single-threaded reference BLAS, tens of times slower;
#   onnxruntime-node (CPU execution provider) from npm into bench/peers/node_modules.
# Idempotent: each part is skipped when it is already there.
set -eu
here=$(cd "$(dirname "$0")" && pwd)

if /usr/bin/python3 -c 'import torch, numpy, onnx' 2>/dev/null && dpkg -s libopenblas0-openmp >/dev/null 2>&1; then
  echo "python3-torch, python3-numpy, python3-onnx, libopenblas0-openmp: present"
else
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
    python3-torch python3-numpy python3-onnx libopenblas0-openmp
fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends nodejs npm
fi

if (cd "$here" && node -e 'require("onnxruntime-node")' 2>/dev/null); then
  echo "onnxruntime-node: present"
else
  # The version is pinned in package.json / package-lock.json. --ignore-scripts: the package's
  # install script downloads GPU providers; the CPU library ships inside the package itself.
  (cd "$here" && npm install --ignore-scripts --no-audit --no-fund)
fi

/usr/bin/python3 -c 'import torch; print("torch", torch.__version__)'
blas=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3)
echo "libblas.so.3 -> $blas"
case "$blas" in
  *openblas*) ;;
  *) echo "warning: libblas.so.3 is not OpenBLAS; PyTorch will be slow (update-alternatives --config libblas.so.3-x86_64-linux-gnu)" >&2 ;;
esac
(cd "$here" && node -e 'console.log("onnxruntime-node", require("onnxruntime-node/package.json").version)')
