#!/bin/sh
# The one command: installs what is missing (build packages, then the peers: Debian's PyTorch,
# OpenBLAS, onnxruntime-node; as root on Debian 12, skipped when present), builds vitbench,
# then runs bench/compare.py (vitcpp vs onnxruntime and PyTorch, interleaved).
#   BUILD_DIR=... (default build-bench)  JOBS=... (default 2)  extra arguments go to compare.py,
#   e.g. --configs ViT-B/16:1,ViT-B/16:8 --rounds 3 --threads 4
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$repo/build-bench}
bash "$repo/scripts/install_deps.sh" >/dev/null
sh "$repo/bench/peers/install.sh" >/dev/null
[ -f "$build/build.ninja" ] || cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C "$build" -j "${JOBS:-2}" vitbench >/dev/null
exec /usr/bin/python3 "$repo/bench/compare.py" --build "$build" "$@"
