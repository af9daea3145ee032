#!/usr/bin/env bash
# settle_ledger.sh: time `basin ledger settle` over N real receipts (default
# 100,000), side by side with `basin ledger verify --batch` over the same
# ledger in the same run (settlement = batch verification + sums + netting,
# so the ratio shows what settlement adds on top of checking the receipts).
#
#   bench/federation/settle_ledger.sh BASIN MAKE_USAGE [N] [WORKDIR]
#
# BASIN is build/cli/basin, MAKE_USAGE build/tests/receipts/make_usage.
# The ledger is built once and kept in WORKDIR (default
# /tmp/basin-bench-settle-N): N signed usage records (half run on campus's
# inst1 for account physics of site home, half on home's vol1 for account
# climate-lab of site campus), ingested, and a real receipt issued for each
# (about 27 ms of proving a receipt, spread over the cores: ~25 min for
# 100,000 on 2 cores). Later runs reuse it and only time settle and verify.
set -euo pipefail
basin="$(realpath "${1:?usage: settle_ledger.sh BASIN MAKE_USAGE [N] [WORKDIR]}")"
make_usage="$(realpath "${2:?usage: settle_ledger.sh BASIN MAKE_USAGE [N] [WORKDIR]}")"
n="${3:-100000}"
work="${4:-/tmp/basin-bench-settle-$n}"
half=$((n / 2))

if [ ! -f "$work/ready" ]; then
  rm -rf "$work"
  mkdir -p "$work/spool"
  cd "$work"
  "$basin" pool init --name bench --cluster basin >/dev/null
  "$basin" pool add-site --name campus --tier institutional --core-second 40 --wall-second 1 >/dev/null
  "$basin" pool add-site --name home --tier volunteer --core-second 10 --mem-mb-second 1 >/dev/null
  "$basin" pool add-account --name physics --home-site home >/dev/null
  "$basin" pool add-account --name climate-lab --home-site campus >/dev/null
  "$basin" pool add-node --name inst1 --site campus --cpus 2 --memory-mb 2000 >/dev/null
  "$basin" pool add-node --name vol1 --site home --cpus 2 --memory-mb 2000 >/dev/null
  "$basin" pool node-keys >node-keys
  echo "writing $n signed usage records"
  "$make_usage" keys/inst1.key spool "$half" inst1 campus physics 1
  "$make_usage" keys/vol1.key spool $((n - half)) vol1 home climate-lab $((half + 1))
  L=("$basin" ledger --db ledger.sqlite)
  "${L[@]}" ingest spool --keys node-keys
  echo "issuing $n receipts (proving is the slow part)"
  time "${L[@]}" issue --pool pool.toml --site-key keys/campus.sign.key
  time "${L[@]}" issue --pool pool.toml --site-key keys/home.sign.key
  rm -rf spool
  touch ready
fi
cd "$work"
L=("$basin" ledger --db ledger.sqlite)
run() {  # LABEL COMMAND...: wall seconds of one run
  local t0 t1
  t0=$(date +%s.%N)
  "${@:2}" >"$1.out" || true
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc
}
echo "receipts: $("$basin" ledger --db ledger.sqlite show --receipts | tail -n +2 | grep -c ' 2026-')"
for i in 1 2; do
  v=$(run verify "${L[@]}" verify --pool pool.toml --batch)
  s=$(run settle "${L[@]}" settle --period 2026-11 --pool pool.toml \
    --site-key keys/campus.sign.key --site-key keys/home.sign.key --out statement)
  printf 'run %d: verify --batch %.2f s, settle %.2f s, settle/verify %.2f\n' "$i" "$v" "$s" \
    "$(echo "$s / $v" | bc -l)"
done
tail -n 3 verify.out
tail -n 12 settle.out
