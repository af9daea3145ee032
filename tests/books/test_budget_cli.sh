#!/bin/bash
# basin ledger budget grant/show on a ledger with receipts: before the period
# is settled its receipts are "unsettled", after `settle` they are "charged",
# and each account's charge equals, to the micro-credit, the statement's
# totals of the pairs whose consumer is the account's home site.
#   test_budget_cli.sh BASIN MAKE_USAGE
basin=$1 make_usage=$2
source "$(dirname "${BASH_SOURCE[0]}")/../support/two_site_pool.sh" "$basin"
mkdir spool
# make_usage job j: 2 cores, 1000 MB, wall 60 + j s; campus 81/s, home 1020/s.
"$make_usage" keys/inst1.key spool 3 inst1 campus alice 1 sacct.txt   # alice 81*(61+62+63) = 15066
"$make_usage" keys/inst1.key spool 2 inst1 campus bob 30 sacct.txt    # bob   81*(90+91)    = 14661
"$make_usage" keys/vol1.key spool 2 vol1 home bob 10 sacct.txt        # bob   1020*(70+71)  = 143820
"$make_usage" keys/vol1.key spool 1 vol1 home alice 20 sacct.txt      # alice 1020*80       = 81600
L="$basin ledger --db ledger.sqlite"
$L ingest spool --keys node-keys --pool pool.toml >/dev/null
$L issue --pool pool.toml --sacct sacct.txt --site-key keys/campus.sign.key >/dev/null
$L issue --pool pool.toml --sacct sacct.txt --site-key keys/home.sign.key >/dev/null

$L budget grant --pool pool.toml --account alice --micro-credits 100000 --note q4 | tee g.out
grep -q "^granted 0.100000 credits to alice; 0.100000 credits granted in all" g.out || fail "grant"
$L budget grant --pool pool.toml --account bob --micro-credits 150000 >/dev/null
if $L budget grant --pool pool.toml --account carol --micro-credits 1 2>err.out; then
  fail "a grant to an account not in pool.toml"
fi
grep -q "account 'carol' is not in pool.toml" err.out || fail "$(cat err.out)"

$L budget show --pool pool.toml --no-queue >before.out || true
cat before.out
grep -Eq "^alice +0.100000 +0.000000 +0.096666 +0.000000 +0.003334$" before.out || fail "alice before"
grep -Eq "^bob +0.150000 +0.000000 +0.158481 +0.000000 +-0.008481$" before.out || fail "bob before"

$L open-pairs --period 2026-11 --pool pool.toml --site-key keys/home.sign.key >/dev/null ||
  fail "open-pairs"
$L settle --period 2026-11 --pool pool.toml --site-key keys/campus.sign.key --out st >/dev/null || fail "settle"
set +e
$L budget show --pool pool.toml --no-queue >after.out
rc=$?
set -e
cat after.out
[ $rc = 1 ] || fail "bob is over budget: show should exit 1"
grep -Eq "^alice +0.100000 +0.096666 +0.000000 +0.000000 +0.003334$" after.out || fail "alice after"
grep -Eq "^bob +0.150000 +0.158481 +0.000000 +0.000000 +-0.008481$" after.out || fail "bob after"
grep -q "settled periods: 2026-11$" after.out || fail "settled period"
# The statement's pairs by consumer site: campus (alice's home), home (bob's).
for who in "alice campus" "bob home"; do
  set -- $who
  from_statement=$(python3 -c "import json,sys; s=json.load(open('st.json')); print(sum(p['micro_credits'] for p in s['pairs'] if p['consumer']==sys.argv[1]))" "$2")
  shown=$(awk -v a="$1" '$1 == a { gsub(/\./, "", $3); print $3 + 0 }' after.out)
  [ "$from_statement" = "$shown" ] || fail "$1: statement $from_statement vs budget $shown"
done
echo "ok: budgets charged per settled period, equal to the statement to the micro-credit"
