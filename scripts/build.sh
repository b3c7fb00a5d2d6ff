#!/usr/bin/env bash
# Configures and builds vitcpp (Release) into ./build; installs missing packages first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build build -j"$(nproc)"
