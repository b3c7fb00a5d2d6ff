#!/usr/bin/env bash
# The full test suite: installs missing packages, builds, runs every ctest suite, then the
# formats/ tests again under AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh --tests
scripts/build.sh
ctest --test-dir build --output-on-failure -j"$(nproc)"

echo "== example application through the installed CMake package"
rm -rf build/install build/example
cmake --install build --prefix build/install > /dev/null
cmake -S engine/api/examples -B build/example -G Ninja -DCMAKE_PREFIX_PATH="$PWD/build/install" > /dev/null
cmake --build build/example
build/tools/vitimport --checkpoint models/bundled/digits --out build/example/digits --overwrite > /dev/null
for example in classify_image classify_image_c; do
  build/example/$example build/example/digits models/bundled/digits/images/00[0-7]_*.png \
    | tee build/example/$example.txt
  # Lines read "IMAGE: LABEL (P%)"; each file is named NNN_L.png after its true digit L.
  awk -F': ' '{ split($2, label, " "); truth = substr($1, length($1) - 4, 1); n++
                if (label[1] != truth) { print "wrong top-1 for " $1 ": " label[1]; bad = 1 } }
              END { if (n != 8) print "expected 8 predictions, got " n; exit bad || n != 8 }' build/example/$example.txt
done
# The C API gives the C++ API's answers.
cmp build/example/classify_image.txt build/example/classify_image_c.txt

echo "== Python package: the README's pip command (into a throwaway folder), then its tests"
rm -rf build/python-install
/usr/bin/python3 -m pip install --no-build-isolation --no-deps --break-system-packages --quiet \
  --target build/python-install ./python
(cd build && PYTHONPATH="$PWD/python-install" VITCPP_BUILD="$PWD" /usr/bin/python3 -m pytest -q ../python/tests)

echo "== formats/ under ASan + UBSan"
cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVITCPP_FORMATS_ONLY=ON \
      -DVITCPP_SANITIZE=ON > /dev/null
cmake --build build-sanitize -j"$(nproc)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-sanitize --output-on-failure -j"$(nproc)"

echo "== fuzz targets, 15 s each (libFuzzer, ASan + UBSan; scripts/fuzz.sh, tests/fuzz/README.md)"
FUZZ_JOBS="$(nproc)" scripts/fuzz.sh 15
