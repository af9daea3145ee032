#!/bin/bash
# [policy] min_pair_receipts: a (provider, consumer) pair with fewer receipts
# in a month is not opened alone (its opening would be one receipt's credit):
# its receipts are carried into the next month and opened there with that
# month's, by the provider's signed opening, and charged once.
#   test_carry_cli.sh BASIN MAKE_USAGE
set -euo pipefail
basin=$1 make_usage=$2
source "$(dirname "${BASH_SOURCE[0]}")/../support/two_site_pool.sh" "$basin"
sed -i '/^replica_quorum = /a min_pair_receipts = 2' pool.toml
"$basin" pool check >/dev/null || fail "pool.toml with min_pair_receipts"
L="$basin ledger --db ledger.sqlite"
oct=-3456000  # 40 days before make_usage's November times: 2026-10
mkdir s
# October: campus -> home one receipt (bob's job 1), home -> campus two (alice's 10, 11).
MAKE_USAGE_SHIFT=$oct "$make_usage" keys/inst1.key s 1 inst1 campus bob 1 sacct.txt
MAKE_USAGE_SHIFT=$oct "$make_usage" keys/vol1.key s 2 vol1 home alice 10 sacct.txt
# November: campus -> home one more (bob's job 2).
"$make_usage" keys/inst1.key s 1 inst1 campus bob 2 sacct.txt
$L ingest s --keys node-keys --pool pool.toml >/dev/null
for site in campus home; do
  $L issue --pool pool.toml --sacct sacct.txt --site-key keys/$site.sign.key >/dev/null
done
settle() {  # PERIOD: home opens its pairs, campus settles
  $L open-pairs --period "$1" --pool pool.toml --site-key keys/home.sign.key >"open-$1.out"
  $L settle --period "$1" --pool pool.toml --site-key keys/campus.sign.key --out "st-$1" \
    >"settle-$1.out" || { cat "settle-$1.out"; fail "settle $1"; }
  cat "settle-$1.out"
}
# home -> campus (alice on vol1, 10 per core-s, 1 per MB-s): 2*10*(60+j) + 1000*(60+j).
settle 2026-10
grep -Eq "^home +campus +2 +0.$(printf %06d $(( (20+1000)*(70+71) )))  checked$" settle-2026-10.out ||
  fail "home -> campus in October"
grep -q "carried into the next period: pair campus -> home has 1 receipts, the pool opens a pair from 2 on" \
  settle-2026-10.out || fail "the lone October receipt of campus -> home is not carried by name"
if grep -Eq "^campus +home " settle-2026-10.out; then fail "a pair of one receipt was opened"; fi
echo "ok: October opens home -> campus (2 receipts) and carries campus -> home (1 receipt)"

# November: October's receipt and November's open together (40 per core-s + 1 per s).
settle 2026-11
grep -Eq "^campus +home +2 +0.$(printf %06d $(( 81*61 + 81*62 )))  checked$" settle-2026-11.out ||
  fail "campus -> home in November does not hold the carried receipt"
if grep -Eq "^home +campus " settle-2026-11.out; then fail "October's home -> campus charged again"; fi
python3 - <<'PY' || fail "the November statement's leaves"
import json
st = json.load(open("st-2026-11.json"))
pair = [p for p in st["pairs"] if p["provider"] == "campus"][0]
assert pair["receipts"] == 2, pair
PY
echo "ok: November opens campus -> home with the receipt carried from October, charged once"
echo PASS
