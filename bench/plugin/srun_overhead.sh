#!/usr/bin/env bash
# srun launch overhead of Basin's SPANK plugin.
#
# Brings up a local pool, takes a 2-CPU allocation on vol1 (salloc), and
# inside it times the step launch `srun -n2 true` N times with the plugin
# loaded (client and node plugstack; a signed usage record written per step)
# and N times with empty plugstacks, alternating the two so drift on a shared
# machine hits both alike. Timing inside one allocation measures the launch
# itself rather than the scheduler's queueing delay. Prints the medians and
# their ratio.
#
#   bench/plugin/srun_overhead.sh [BUILD_DIR] [LAUNCHES]     defaults: build 30
set -euo pipefail
src="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

if [ "${1:-}" = --inside ]; then
  # Runs inside the allocation: BENCH_DIR and BENCH_LAUNCHES come from below.
  dir="$BENCH_DIR"
  with_plugin() { cp "$dir"/saved/plugstack*.conf "$dir/etc/"; }
  without_plugin() { for f in "$dir"/etc/plugstack*.conf; do echo "# no plugins" >"$f"; done; }
  one_launch() {
    local t0 t1
    t0=$(date +%s.%N)
    srun -Q -n2 true
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
  }
  with_plugin; one_launch >/dev/null; without_plugin; one_launch >/dev/null  # warm up
  : >"$dir/with"; : >"$dir/without"
  for _ in $(seq "$BENCH_LAUNCHES"); do
    with_plugin; one_launch >>"$dir/with"
    without_plugin; one_launch >>"$dir/without"
  done
  with_plugin
  exit 0
fi

build="$(cd "${1:-$src/build}" && pwd)"
launches="${2:-30}"
dir="$(mktemp -d /tmp/basin-bench-pool.XXXXXX)"
trap '"$src/scripts/local-pool" down --dir "$dir" >/dev/null; rm -rf "$dir"' EXIT
"$src/scripts/local-pool" up --dir "$dir" --port-base "${BASIN_BENCH_POOL_PORT:-16870}" \
  --plugin "$build/plugin/basin_spank.so" >/dev/null 2>&1
export SLURM_CONF="$dir/etc/slurm.conf"
mkdir -p "$dir/saved"
cp "$dir"/etc/plugstack*.conf "$dir/saved/"
BENCH_DIR="$dir" BENCH_LAUNCHES="$launches" salloc -Q -n2 -w vol1 "$0" --inside

m_with=$(median <"$dir/with")
m_without=$(median <"$dir/without")
printf 'srun -n2 true inside one allocation, %s launches each, alternating\n' "$launches"
printf '  usage records written by the plugin on vol1: %s\n' "$(ls "$dir"/basin/vol1/spool | wc -l)"
printf '  median with plugin:    %.4f s\n' "$m_with"
printf '  median without plugin: %.4f s\n' "$m_without"
printf '  ratio with/without:    %.3f\n' "$(echo "$m_with / $m_without" | bc -l)"
