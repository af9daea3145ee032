#!/bin/bash
# basin ledger settle on a pool made with basin pool: records -> receipts ->
# settle: pair totals opened and checked, debts netted, statement signed and
# the same bytes on a second run; then a tampered receipt is listed and
# excluded by name, and a changed statement fails its signature check.
#   test_settle_cli.sh BASIN MAKE_USAGE
basin=$1 make_usage=$2
source "$(dirname "${BASH_SOURCE[0]}")/../support/two_site_pool.sh" "$basin"
grep -q "^vol1 ed25519:[0-9a-f]\{64\}$" node-keys || fail "pool node-keys: $(cat node-keys)"

# make_usage job j: 2 cores, 1000 MB, wall 60 + j s.
#   campus (40/core-s, 1/wall-s) -> 81 * wall;  home (10/core-s, 1/MB-s) -> 1020 * wall
mkdir spool
"$make_usage" keys/inst1.key spool 3 inst1 campus alice 1 sacct.txt   # internal: 81*(61+62+63) = 15066
"$make_usage" keys/inst1.key spool 2 inst1 campus bob 30 sacct.txt    # home owes campus 81*(90+91) = 14661
"$make_usage" keys/vol1.key spool 2 vol1 home bob 10 sacct.txt        # internal: 1020*(70+71) = 143820
"$make_usage" keys/vol1.key spool 1 vol1 home alice 20 sacct.txt      # campus owes home 1020*80 = 81600
L="$basin ledger --db ledger.sqlite"
$L ingest spool --keys node-keys --pool pool.toml >/dev/null
$L issue --pool pool.toml --sacct sacct.txt --site-key keys/campus.sign.key >/dev/null
$L issue --pool pool.toml --sacct sacct.txt --site-key keys/home.sign.key >/dev/null

# No command takes another site's key: campus settles with its own key and
# opens its own pairs; home's pairs wait for home's signed openings.
set +e
$L settle --period 2026-11 --pool pool.toml --site-key keys/campus.sign.key \
  --site-key keys/home.sign.key --out two-keys >two-keys.out 2>&1
rc=$?
set -e
[ $rc != 0 ] && grep -q "no command takes another site's secret" two-keys.out ||
  fail "settle accepted two sites' keys: $(cat two-keys.out)"
[ ! -e two-keys.json ] || fail "settle with two keys wrote a statement"
set +e
$L settle --period 2026-11 --pool pool.toml --site-key keys/campus.sign.key --out part >part.out
rc=$?
set -e
[ $rc = 1 ] || fail "settle before home opened its pairs should exit 1"
grep -Eq "^home +campus +1 +\? +not opened: site home published no opening of this pair" part.out ||
  fail "$(cat part.out)"
grep -Eq "^campus +home +2 +0.014661  checked$" part.out || fail "campus's own pair: $(cat part.out)"
echo "ok: two sites' keys refused; a provider that has not opened its pairs is named"

$L open-pairs --period 2026-11 --pool pool.toml --site-key keys/home.sign.key | tee open-home.out
grep -q "^site home: 2 pair openings of 2026-11 signed and stored" open-home.out || fail "home's openings"
S="$L settle --period 2026-11 --pool pool.toml --site-key keys/campus.sign.key"
$S --out one >settle.out || { cat settle.out; fail "settle"; }
cat settle.out
grep -q "^8 receipts offered, 8 charged, 0 not charged, 0 failed" settle.out || fail "counts"
grep -Eq "^campus +home +2 +0.014661  checked$" settle.out || fail "campus -> home total"
grep -Eq "^home +campus +1 +0.081600  checked$" settle.out || fail "home -> campus total"
grep -Eq "^campus +campus +3 +0.015066  checked \(internal\)$" settle.out || fail "internal total"
grep -Eq "^  campus +pays home +0.066939 credits$" settle.out || fail "netted transfer"
for f in one.json one.csv one.txt one.json.sig; do [ -s "$f" ] || fail "$f missing"; done
grep -q '"micro_credits": 66939' one.json || fail "transfer in JSON"
grep -q '^transfer,campus,home,,66939,$' one.csv || fail "transfer in CSV"
$S --out two >/dev/null
cmp one.json two.json && cmp one.json.sig two.json.sig || fail "a second run gave other bytes"
$L check-statement one.json --pool pool.toml | grep -q "signature good" || fail "check-statement"
sed -i 's/66939/76939/' two.json
if $L check-statement two.json --pool pool.toml >check.out; then fail "changed statement passed"; fi
grep -q "does not verify" check.out || fail "$(cat check.out)"
echo "ok: totals opened and checked, netted, signed, reproducible"

# Reconciliation against a jobcomp log of the same jobs (make_usage: submit
# 1795000000 + j, start 5 s later, end 60 + j s after that, 2 CPUs).
jobcomp_line() {  # JOB [ACCOUNT]: alice's jobs are 1-3 and 20, bob's the rest
  local sub=$((1795000000 + $1)) t account="${2:-}"
  if [ -z "$account" ]; then case $1 in 1|2|3|20) account=alice ;; *) account=bob ;; esac; fi
  t() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%S; }
  echo "JobId=$1 UserId=root(0) GroupId=root(0) Name=wrap JobState=COMPLETED Partition=pool" \
    "TimeLimit=UNLIMITED StartTime=$(t $((sub + 5))) EndTime=$(t $((sub + 65 + $1)))" \
    "NodeList=n NodeCnt=1 ProcCnt=2 Tres=cpu=2 Account=$account QOS=normal WcKey= Cluster=basin" \
    "SubmitTime=$(t $sub) EligibleTime=$(t $sub) DerivedExitCode=0:0 ExitCode=0:0"
}
for j in 1 2 3 30 31 10 11 20; do jobcomp_line $j; done >jobcomp.txt
R="$L reconcile --period 2026-11 --pool pool.toml --utc-offset 0"
$R --jobcomp jobcomp.txt --csv rec.csv >rec.out || { cat rec.out; fail "reconcile"; }
grep -q "^matched jobs: 8$" rec.out && grep -q "^discrepancies: 0$" rec.out || fail "$(cat rec.out)"
# Work Slurm ran that no receipt covers (a lost record), and a job whose
# allocation Slurm charged for twice as long.
{ cat jobcomp.txt; jobcomp_line 40; } | sed 's/^\(JobId=11 .*\)ProcCnt=2/\1ProcCnt=4/' >jobcomp2.txt
set +e
$R --jobcomp jobcomp2.txt --csv rec2.csv >rec2.out
rc=$?
set -e
cat rec2.out
[ $rc = 1 ] || fail "reconcile should exit 1 on discrepancies"
grep -q "^no_receipt  basin job 40 " rec2.out || fail "job 40 without receipt not named"
grep -q "^core_seconds_mismatch  basin job 11 .* receipt 142 core-s vs Slurm 284" rec2.out ||
  fail "core-seconds mismatch of job 11 not named"
grep -q "^discrepancies: 2$" rec2.out || fail "discrepancy count"
grep -q "^no_receipt,basin,40," rec2.csv || fail "CSV finding"
echo "ok: reconcile matches every job, then names a job without receipt and a core-seconds mismatch"

# A tampered receipt: one byte of a campus receipt's proof changed in the log.
# The victim is bob's job 30 (the log orders receipts by leaf hash: look it up).
victim="$(sqlite3 ledger.sqlite "SELECT rec.identity FROM records rec WHERE rec.job_id = 30")"
leaf="$(sqlite3 ledger.sqlite "SELECT r.leaf_index FROM receipts r JOIN records rec ON rec.id = r.record_id WHERE rec.job_id = 30")"
sqlite3 ledger.sqlite "UPDATE log_leaves SET data = substr(data,1,500) || (CASE WHEN substr(data,501,1) = x'00' THEN x'01' ELSE x'00' END) || substr(data,502) WHERE origin = 'demo/campus/receipts' AND leaf_index = $leaf"
set +e
$S --out bad >bad.out
rc=$?
set -e
[ $rc = 1 ] || fail "settle with a tampered receipt should exit 1"
grep -q "^EXCLUDED demo/campus/receipts leaf $leaf ($victim): " bad.out || fail "not named: $(cat bad.out)"
grep -q "^8 receipts offered, 7 charged, 0 not charged, 1 failed" bad.out || fail "counts after tamper"
# job 30 is bob's (wall 90): campus -> home is now 81*91 = 7371.
grep -Eq "^campus +home +1 +0.007371  checked$" bad.out || fail "tampered receipt counted"
set +e
$R --jobcomp jobcomp.txt >rec3.out
rc=$?
set -e
[ $rc = 1 ] || fail "reconcile should flag the tampered receipt"
grep -q "^bad_receipt  basin job 30 .*demo/campus/receipts leaf $leaf ($victim).*not counted" rec3.out ||
  fail "reconcile did not name the tampered receipt: $(cat rec3.out)"
grep -q "^no_receipt  basin job 30 " rec3.out || fail "job 30 should be without a good receipt"
echo "ok: a tampered receipt is excluded by name (settle and reconcile)"

if $L settle --period 2026-13 --pool pool.toml --site-key keys/campus.sign.key 2>err.out; then
  fail "bad period accepted"
fi
grep -q "YYYY-MM" err.out || fail "bad period message: $(cat err.out)"
echo "ok: a bad period is refused with the expected form"
