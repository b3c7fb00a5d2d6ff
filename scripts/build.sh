#!/usr/bin/env bash
# Configures and builds vitcpp (Release) into ./build; installs missing packages first.
# Extra CMake options come from $VITCPP_CMAKE_ARGS (CI passes -DVITCPP_WERROR=ON).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
launcher=()
if command -v ccache > /dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
# shellcheck disable=SC2086  # the extra options are meant to split into words
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" ${VITCPP_CMAKE_ARGS:-} > /dev/null
cmake --build build -j"$(nproc)"
