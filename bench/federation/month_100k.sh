#!/usr/bin/env bash
# month_100k.sh: the month's accounting at scale, on N real receipts
# (default 100,000) in a real ledger, each command timed side by side with
# its peer in the same run:
#   settle     vs `basin ledger verify --batch` on the same ledger (settlement
#              is batch verification + sums + openings + netting: the ratio
#              is what settling adds to checking the receipts). campus
#              settles with its own key; home's pairs are opened by the
#              signed openings `ledger open-pairs` stored (timed once).
#   import + settle --public (the flow of sites that keep their own books)
#              vs verify --batch: see below
#   reconcile  `basin ledger reconcile --sacct` of an N-line sacct export of
#              the same jobs vs the awk one-liner admins use to total
#              core-seconds of that export (which matches nothing)
#
#   bench/federation/month_100k.sh BASIN MAKE_USAGE [N] [WORKDIR]
#
# BASIN is build/cli/basin, MAKE_USAGE build/tests/receipts/make_usage.
# The ledger is built once and kept in WORKDIR (default
# /tmp/basin-bench-settle-N): N signed usage records (half run on campus's
# inst1 for account physics of site home, half on home's vol1 for account
# climate-lab of site campus), ingested, and a real receipt issued for each
# (about 27 ms of proving a receipt, spread over the cores: ~25 min for
# 100,000 on 2 cores). Later runs reuse it and only time settle and verify.
set -euo pipefail
basin="$(realpath "${1:?usage: month_100k.sh BASIN MAKE_USAGE [N] [WORKDIR]}")"
make_usage="$(realpath "${2:?usage: month_100k.sh BASIN MAKE_USAGE [N] [WORKDIR]}")"
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
  "$make_usage" keys/inst1.key spool "$half" inst1 campus physics 1 jobs.sacct
  "$make_usage" keys/vol1.key spool $((n - half)) vol1 home climate-lab $((half + 1)) jobs.sacct
  L=("$basin" ledger --db ledger.sqlite)
  "${L[@]}" ingest spool --keys node-keys --pool pool.toml
  echo "issuing $n receipts (proving is the slow part)"
  time "${L[@]}" issue --pool pool.toml --sacct jobs.sacct --site-key keys/campus.sign.key
  time "${L[@]}" issue --pool pool.toml --sacct jobs.sacct --site-key keys/home.sign.key
  rm -rf spool
  touch ready
fi
cd "$work"
L=("$basin" ledger --db ledger.sqlite)
# The sacct export of the same jobs (make_usage: cluster basin, submit
# 1795000000 + j, start 5 s later, elapsed 60 + j s, 2 CPUs), in UTC.
if [ ! -s sacct.txt ]; then
  echo "JobID|JobIDRaw|Cluster|Submit|Start|End|State|AllocCPUS|ElapsedRaw" >sacct.txt
  awk -v n="$n" 'BEGIN {
    for (j = 1; j <= n; j++) {
      s = 1795000000 + j; e = s + 65 + j
      printf "%d|%d|basin|%s|%s|%s|COMPLETED|2|%d\n", j, j, strftime("%Y-%m-%dT%H:%M:%S", s, 1),
        strftime("%Y-%m-%dT%H:%M:%S", s + 5, 1), strftime("%Y-%m-%dT%H:%M:%S", e, 1), 60 + j
    } }' >>sacct.txt
fi
secs() {  # LABEL COMMAND...: wall seconds of one run; output in LABEL.out
  local t0 t1
  t0=$(date +%s.%N)
  "${@:2}" >"$1.out" 2>&1 || true
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc
}
echo "receipts in the ledger: $(sqlite3 ledger.sqlite 'SELECT COUNT(*) FROM receipts')," \
  "sacct lines: $(($(wc -l <sacct.txt) - 1))"
# home publishes its signed pair openings (as each provider does before
# settlement); campus settles with its own key, opening its own pairs.
o=$(secs open "${L[@]}" open-pairs --period 2026-11 --pool pool.toml --site-key keys/home.sign.key)
printf 'home open-pairs: %.2f s\n' "$o"
for i in 1 2 3; do
  v=$(secs verify "${L[@]}" verify --pool pool.toml --batch)
  s=$(secs settle "${L[@]}" settle --period 2026-11 --pool pool.toml \
    --site-key keys/campus.sign.key --out statement)
  r=$(secs reconcile "${L[@]}" reconcile --period 2026-11 --pool pool.toml --sacct sacct.txt \
    --utc-offset 0)
  a=$(secs awk awk -F'|' 'NR>1 && $1 !~ /\./ {s += $8*$9} END {print s}' sacct.txt)
  printf 'run %d: settle %.2f s, verify --batch %.2f s (settle/verify %.2f); reconcile %.2f s, awk %.3f s (reconcile/awk %.1f)\n' \
    "$i" "$s" "$v" "$(echo "$s / $v" | bc -l)" "$r" "$a" "$(echo "$r / $a" | bc -l)"
done
tail -n 1 verify.out
sed -n '1,12p' settle.out
sed -n '1,8p' reconcile.out

# Settlement no one has to trust, at N receipts: each site's log as one
# bundle from tree size 0 with its signed pair openings of the period; a
# ledger that holds neither log imports both (each receipt's signature, rate
# card and range proof verified, the tree rebuilt and checked against the
# signed checkpoint, the checkpoint cosigned: campus's by home's witness key,
# home's by campus's), then settles from that public data alone
# (`settle --public`: inclusion in the witnessed checkpoints, every receipt
# verified, each pair's sum checked against its provider's signed opening).
# Both are timed beside verify --batch of the same N receipts, alternating.
"${L[@]}" export --pool pool.toml --site-key keys/campus.sign.key --from 0 --period 2026-11 \
  --out campus.bundle >/dev/null
"${L[@]}" export --pool pool.toml --site-key keys/home.sign.key --from 0 --period 2026-11 \
  --out home.bundle >/dev/null
for i in 1 2 3; do
  rm -rf mirror
  mkdir -p mirror/back
  M=("$basin" ledger --db mirror/auditor.sqlite)
  a=$(secs import-campus "${M[@]}" import --pool pool.toml --witness-key keys/home.witness.key \
    --cosigned-dir mirror/back campus.bundle)
  b=$(secs import-home "${M[@]}" import --pool pool.toml --witness-key keys/campus.witness.key \
    --cosigned-dir mirror/back home.bundle)
  p=$(secs settle-public "${M[@]}" settle --public --period 2026-11 --pool pool.toml \
    --site-key keys/campus.sign.key --out mirror/statement)
  v=$(secs verify "${L[@]}" verify --pool pool.toml --batch)
  printf 'public run %d: import of %d receipts %.2f s (%.2f + %.2f), settle --public %.2f s, verify --batch %.2f s (import/verify %.2f, settle/verify %.2f)\n' \
    "$i" "$n" "$(echo "$a + $b" | bc -l)" "$a" "$b" "$p" "$v" \
    "$(echo "($a + $b) / $v" | bc -l)" "$(echo "$p / $v" | bc -l)"
done
cat import-campus.out import-home.out
sed -n '1,12p' settle-public.out
