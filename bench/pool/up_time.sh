#!/usr/bin/env bash
# Wall time of `scripts/local-pool up` (fresh directory, until every node is
# idle) with the accounting database (mariadb-install-db, mariadbd, slurmdbd,
# cluster registration and root's account before slurmctld) and without it
# (--accounting-db no), alternating the two so drift on a shared machine hits
# both alike; `down` after each run (not timed). Prints every run and the
# medians.
#
#   bench/pool/up_time.sh [BUILD_DIR] [RUNS] [PORT_BASE]    defaults: build 3 17300
set -euo pipefail
src="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="$(cd "${1:-$src/build}" && pwd)"
runs="${2:-3}"
port="${3:-17300}"
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
dir=""
cleanup() { [ -z "$dir" ] || { "$src/scripts/local-pool" down --dir "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"; }; }
trap cleanup EXIT
one_up() {  # DB yes|no -> seconds
  dir="$(mktemp -d /tmp/basin-bench-up.XXXXXX)"
  local t0 t1
  t0=$(date +%s.%N)
  "$src/scripts/local-pool" up --dir "$dir" --port-base "$port" --accounting-db "$1" \
    --plugin "$build/plugin/basin_spank.so" --timeout 120 >/dev/null 2>"$dir.err" ||
    { cat "$dir.err" >&2; exit 1; }
  t1=$(date +%s.%N)
  rm -f "$dir.err"
  cleanup
  dir=""
  echo "$t1 - $t0" | bc -l
}
with=() without=()
for i in $(seq "$runs"); do
  with+=("$(one_up yes)")
  without+=("$(one_up no)")
  printf 'run %d: with database %.2f s, without %.2f s\n' "$i" "${with[-1]}" "${without[-1]}"
done
mw="$(printf '%s\n' "${with[@]}" | median)"
mo="$(printf '%s\n' "${without[@]}" | median)"
printf 'median: with database %.2f s, without %.2f s, difference %.2f s\n' "$mw" "$mo" \
  "$(echo "$mw - $mo" | bc -l)"
