#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz (clang, ASan + UBSan) and runs each for
# SECONDS_PER_TARGET (default 20) on a temporary copy of its seed corpus.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     e.g. scripts/fuzz.sh 600 torch pickle
#
# Environment: FUZZ_JOBS (targets run at once, default 1), FUZZ_RSS_MB (default 2048),
# FUZZ_TIMEOUT (seconds per input, default 10), FUZZ_BUILD (build folder, default build-fuzz),
# FUZZ_RUNS (working folder, default $FUZZ_BUILD/runs; emptied first), FUZZ_KEEP_CORPUS=1 keeps
# the grown corpora there.
# Fails when a target crashes (memory error, undefined behaviour, an exception other than
# vit::Error, a timeout or going over the memory limit); the input is saved under
# $FUZZ_BUILD/crashes/<target>/ and the command that reproduces it is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
shift || true
case "$seconds" in ''|*[!0-9]*|0) echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET >= 1] [TARGET...]" >&2; exit 2 ;; esac
jobs=${FUZZ_JOBS:-1}
rss_mb=${FUZZ_RSS_MB:-2048}
timeout=${FUZZ_TIMEOUT:-10}
build=${FUZZ_BUILD:-build-fuzz}

runtime=$(ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a 2>/dev/null | head -1 || true)
if ! command -v clang++ > /dev/null || [ -z "$runtime" ]; then
  echo "== installing clang and libFuzzer (clang, libclang-rt-14-dev)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang libclang-rt-14-dev > /dev/null
fi
scripts/install_deps.sh

echo "== building fuzz targets in $build"
CC=clang CXX=clang++ cmake -S tests/fuzz -B "$build" -G Ninja > /dev/null
cmake --build "$build" -j"$(nproc)" > "$build/build.log" 2>&1 || { tail -40 "$build/build.log"; exit 1; }

if [ $# -eq 0 ]; then
  set -- $(cd "$build" && ls fuzz_* 2>/dev/null | grep -v '\.' | sed 's/^fuzz_//')
fi
runs=${FUZZ_RUNS:-$build/runs}
rm -rf "$runs"
mkdir -p "$runs" "$build/crashes"

run_target() {
  local t=$1 dir="$runs/$1"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  cp tests/fuzz/corpus/"$t"/* "$dir/corpus/" 2>/dev/null || true
  local seeds extra=()
  seeds=$(ls "$dir/corpus" | wc -l)
  # Inputs that once crashed the target run first, read-only.
  if [ -d tests/fuzz/regressions/"$t" ]; then extra=(tests/fuzz/regressions/"$t"); fi
  set +e
  ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
    "$build/fuzz_$t" -max_total_time="$seconds" -rss_limit_mb="$rss_mb" -timeout="$timeout" \
    -print_final_stats=1 -artifact_prefix="$dir/artifacts/" "$dir/corpus" "${extra[@]}" > "$dir/log" 2>&1
  local rc=$?
  set -e
  echo "$rc" > "$dir/rc"
  local stats execs cov ft corp
  stats=$(grep -E '^#[0-9]+' "$dir/log" | tail -1)
  execs=$(grep -E 'stat::number_of_executed_units' "$dir/log" | tail -1 | awk '{print $2}')
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<< "$stats")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<< "$stats")
  corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p' <<< "$stats")
  printf '%-20s execs %10s  cov %5s  ft %6s  corpus %s (from %s seeds)  %s\n' "$t" "${execs:-?}" "${cov:-?}" \
    "${ft:-?}" "${corp:-?}" "$seeds" "$([ "$rc" = 0 ] && echo ok || echo CRASH)" > "$dir/summary"
}

echo "== fuzzing ${seconds}s per target, $jobs at a time: $*"
running=0
for t in "$@"; do
  [ -x "$build/fuzz_$t" ] || { echo "no fuzz target '$t' (built: $(cd "$build" && ls fuzz_* | tr '\n' ' '))"; exit 1; }
  run_target "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait

failed=0
for t in "$@"; do
  cat "$runs/$t/summary"
  if [ "$(cat "$runs/$t/rc")" != 0 ]; then
    failed=1
    mkdir -p "$build/crashes/$t"
    cp "$runs/$t"/artifacts/* "$build/crashes/$t/" 2>/dev/null || true
    echo "---- $t crashed; the report from its log ($runs/$t/log):"
    awk '/ERROR|runtime error|ALARM/ && !n {n = 1} n && n++ <= 16' "$runs/$t/log"
    for f in "$runs/$t"/artifacts/*; do
      [ -e "$f" ] && echo "saved: $build/crashes/$t/$(basename "$f")  reproduce: $build/fuzz_$t $build/crashes/$t/$(basename "$f")"
    done
  fi
  if [ "${FUZZ_KEEP_CORPUS:-0}" != 1 ]; then rm -rf "$runs/$t/corpus"; fi
done
exit $failed
