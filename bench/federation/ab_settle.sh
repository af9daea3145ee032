#!/usr/bin/env bash
# ab_settle.sh: two or more Basin binaries timed back to back, alternating, on
# the same 100,000-receipt ledgers that month_100k.sh built and imported
# (WORKDIR/ledger.sqlite and WORKDIR/mirror/auditor.sqlite): `settle --public`
# and `verify --batch` each, ROUNDS rounds. For before/after figures taken in
# the same minutes: this machine's speed drifts by 30% from hour to hour.
#
#   bench/federation/ab_settle.sh WORKDIR ROUNDS BASIN_A BASIN_B [BASIN_C ...]
#
# Copy each binary out of the build tree first (e.g. /tmp/basin-old/basin).
set -euo pipefail
work="${1:?usage: ab_settle.sh WORKDIR ROUNDS BASIN_A BASIN_B [...]}"
rounds="${2:?usage: ab_settle.sh WORKDIR ROUNDS BASIN_A BASIN_B [...]}"
shift 2
[ -f "$work/mirror/auditor.sqlite" ] || {
  echo "ab_settle: $work/mirror/auditor.sqlite missing: run month_100k.sh first" >&2
  exit 1
}
cd "$work"
secs() {  # COMMAND...: wall seconds of one run (output discarded, must succeed)
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >/dev/null 2>&1 || { echo "ab_settle: failed: $*" >&2; return 1; }
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc
}
for r in $(seq 1 "$rounds"); do
  for b in "$@"; do
    p=$(secs "$b" ledger --db mirror/auditor.sqlite settle --public --period 2026-11 \
      --pool pool.toml --site-key keys/campus.sign.key --out mirror/statement.ab) || exit 1
    v=$(secs "$b" ledger --db ledger.sqlite verify --pool pool.toml --batch) || exit 1
    printf 'round %d  %-40s settle --public %6.2f s  verify --batch %6.2f s\n' "$r" "$b" "$p" "$v"
  done
done
