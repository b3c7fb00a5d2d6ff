#!/usr/bin/env bash
# Installs the Debian 12 packages vitcpp needs; quick no-op when all are present.
#   scripts/install_deps.sh [--tests]   --tests: also what only the tests use (chromium)
set -euo pipefail
packages=(build-essential cmake ninja-build libdnnl-dev zlib1g-dev
          nlohmann-json3-dev libstb-dev libjpeg62-turbo-dev libpng-dev libgtest-dev libcpp-httplib-dev pkg-config
          ocl-icd-opencl-dev  # libdnnl-dev's CMake config needs OpenCL (only a Recommends)
          python3-dev pybind11-dev python3-numpy python3-pytest python3-pip python3-setuptools
          python3-distributed)
if [ "${1:-}" = "--tests" ]; then packages+=(chromium); fi  # vitserve's page in a headless browser
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  [ "$(id -u)" = 0 ] || { echo "install_deps: run as root to install ${missing[*]}" >&2; exit 1; }
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
