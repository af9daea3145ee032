#!/usr/bin/env bash
# Longer libFuzzer runs of every Basin fuzz target (CI runs each for ~4 s).
# Builds with clang, the libraries instrumented too (BASIN_FUZZ: -fsanitize=
# fuzzer-no-link; BASIN_SANITIZE: address, undefined) so coverage reaches into
# the parsers, then fuzzes each target from
# its seeds, keeping the corpus between runs.
#
#   bench/fuzz/run-fuzzers.sh [SECONDS_PER_TARGET=60] [TARGET...]
#   env: BUILD=/tmp/build-fuzz  CORPUS=/tmp/basin-fuzz-corpus  JOBS=2
#        TIMEOUT=120 (seconds one input may take before it counts as a hang)
# Exit status non-zero if any target finds a crash or a hang (its reproducer
# is left in $CORPUS/<target>-crash-* or -timeout-*).
set -euo pipefail
src="$(cd "$(dirname "$0")/../.." && pwd)"
secs="${1:-60}"
shift || true
build="${BUILD:-/tmp/build-fuzz}"
corpus="${CORPUS:-/tmp/basin-fuzz-corpus}"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(receipt usage_record keyring pool_toml enrolment sacct tlog_text statement bundle opening
  decode_many onnx_model plugin_args)

# BASIN_FUZZ instruments every library for coverage; BASIN_SANITIZE adds
# ASan and UBSan to all of it.
CC=clang CXX=clang++ cmake -S "$src" -B "$build" -DBASIN_FUZZ=ON -DBASIN_SANITIZE=ON \
  -DBASIN_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
names=()
for t in "${targets[@]}"; do names+=("fuzz_$t" "fuzz_replay_$t"); done
cmake --build "$build" -j"${JOBS:-2}" --target "${names[@]}" fuzz_crypto_rangeproof >/dev/null

rc=0
run() {  # run NAME BINARY [SEED_WRITER]
  local name=$1 bin=$2 seeds=${3:-}
  mkdir -p "$corpus/$name"
  [ -z "$seeds" ] || "$seeds" --write-seeds "$corpus/$name"
  # A model may legitimately declare tensors of up to 2^28 elements (1-2 GiB).
  local rss=2048
  [ "$name" != onnx_model ] || rss=8192
  # A target's dictionary (tests/fuzz/NAME.dict: names it knows) if it has one.
  local dict=()
  [ ! -f "$src/tests/fuzz/$name.dict" ] || dict=(-dict="$src/tests/fuzz/$name.dict")
  echo "== $name: $secs s"
  if ! "$bin" "${dict[@]}" -max_total_time="$secs" -rss_limit_mb="$rss" -timeout="${TIMEOUT:-120}" \
      -print_final_stats=1 \
      -artifact_prefix="$corpus/$name-" "$corpus/$name" 2>"$corpus/$name.log"; then
    echo "   CRASH or HANG: see $corpus/$name.log and $corpus/$name-{crash,timeout}-*"
    rc=1
  fi
  grep -E "stat::number_of_executed_units|cov:" "$corpus/$name.log" | tail -n 2 | sed 's/^/   /'
}
for t in "${targets[@]}"; do
  run "$t" "$build/tests/fuzz/fuzz_$t" "$build/tests/fuzz/fuzz_replay_$t"
done
[ $# -gt 0 ] || run rangeproof "$build/tests/crypto/fuzz_crypto_rangeproof"
exit $rc
