#!/bin/bash
# basin ledger issue / verify / open / show --receipts on a pool made with
# basin pool: records -> ingest -> receipts in the log -> verify all good;
# then a tampered receipt, a forged record and a wrong account key are each
# caught and named.
#   test_ledger_receipts.sh BASIN MAKE_USAGE
basin=$1 make_usage=$2
source "$(dirname "${BASH_SOURCE[0]}")/../support/two_site_pool.sh" "$basin"
[ "$(grep -vc "^#" node-keys)" = 2 ] || fail "node-keys: $(cat node-keys)"

mkdir spool
# Slurm's side of the same jobs (sacct.txt) says which account each charges.
"$make_usage" keys/inst1.key spool 3 inst1 campus alice 1 sacct.txt
"$make_usage" keys/vol1.key spool 2 vol1 home bob 10 sacct.txt
"$make_usage" keys/vol1.key spool 1 vol1 home alice 20 sacct.txt
L="$basin ledger --db ledger.sqlite"
$L ingest spool --keys node-keys --pool pool.toml

# Each site issues its own receipts with its own key.
$L issue --pool pool.toml --sacct sacct.txt --site-key keys/campus.sign.key | tee issue1.out
grep -q "^3 receipts issued for site campus" issue1.out || fail "campus issue"
$L issue --pool pool.toml --sacct sacct.txt --site-key keys/home.sign.key | tee issue2.out
grep -q "^3 receipts issued for site home" issue2.out || fail "home issue"
# Idempotent.
$L issue --pool pool.toml --sacct sacct.txt --site-key keys/home.sign.key > issue3.out
grep -q "^0 receipts issued" issue3.out || fail "reissue"

$L show --receipts | tee show.out
grep -q "^6 receipts" show.out || fail "show count"
grep -q "checkpoint of log demo/home/receipts" show.out || fail "home checkpoint in show"
grep -q "checkpoint of log demo/campus/receipts" show.out || fail "campus checkpoint in show"
$L show --receipts --json > show.json
grep -q '"mem_mb_seconds"' show.json || fail "json"

$L verify --pool pool.toml | tee verify.out
grep -q "6 receipts checked in 2 logs: all good" verify.out || fail "verify"
$L verify --pool pool.toml --batch > verify-batch.out
grep -q "(batch) in 2 logs: all good" verify-batch.out || fail "verify --batch"

# Alice sees her four receipts and their quantities; bob's do not open for her.
$L open --account-key keys/alice.box.key --pool pool.toml | tee open.out
grep -q "^4 receipts of this account" open.out || fail "alice open"
# job 1: wall 61 s, 2 cores, 1000 MB: 122 core-s, 61000 MB-s; campus price 40*122 + 61 = 4941
grep -E -q "basin/1.batch/r0/inst1 +2026-11 +122 +61000 +0 +61 4941$" open.out || fail "alice job 1 quantities"
$L open --account-key keys/bob.box.key > open-bob.out
grep -q "^2 receipts of this account" open-bob.out || fail "bob open"

# Tamper with one receipt's bytes in the log (flip a byte of its proof).
# Job 11's (bob's) receipt in home's log (the log orders by leaf hash: look it up).
leaf=$(sqlite3 ledger.sqlite "SELECT r.leaf_index FROM receipts r JOIN records rec ON rec.id = r.record_id WHERE rec.identity = 'basin/11.batch/r0/vol1'")
sqlite3 ledger.sqlite "UPDATE log_leaves SET data = substr(data,1,400) || (CASE WHEN substr(data,401,1) = x'ff' THEN x'fe' ELSE x'ff' END) || substr(data,402) WHERE origin = 'demo/home/receipts' AND leaf_index = $leaf"
set +e
$L verify --pool pool.toml --batch > tampered.out; rc=$?
set -e
cat tampered.out
[ $rc = 1 ] || fail "tampered receipt not refused (rc $rc)"
grep -q "BAD receipt $leaf (basin/11.batch/r0/vol1)" tampered.out || fail "tampered receipt not named"
grep -q "BAD log leaf $leaf (basin/11.batch/r0/vol1)" tampered.out || fail "altered leaf not named"
[ "$(grep -c '^BAD' tampered.out)" -le 4 ] || fail "good receipts reported bad"

# A forged record: vol1 claims to be inst1 of campus, signed with vol1's key.
mkdir forged
"$make_usage" keys/vol1.key forged 1 inst1 campus alice 30
set +e
$L ingest forged --keys node-keys --pool pool.toml > forged.out; rc=$?
set -e
cat forged.out
[ $rc = 1 ] || fail "forged record accepted"
grep -q "rejected forged/30.batch.r0.inst1.basinrec" forged.out || fail "forged record not named"

# Bad input: a key that is no site's.
"$basin" records keygen --secret stranger.key --node x >/dev/null 2>&1 || true
if [ -f stranger.key ]; then
  if $L issue --pool pool.toml --sacct sacct.txt --site-key stranger.key 2> stranger.err; then fail "stranger key"; fi
  grep -q "is no site's signing_key" stranger.err || fail "stranger message"
fi
echo PASS
