#!/bin/bash
# Books that defend themselves: each kind of damage seen in a ledger becomes a
# named finding, and the money charged is neither lost nor doubled.
#   - a mistyped --db is an error, never a new, empty ledger;
#   - a cancelled job's srun step that ended 1 s after its batch step is
#     charged once (through the batch step);
#   - a second, different signed record for a step that has a receipt is a
#     finding (conflicting_record), never a second charge;
#   - result digests edited in the database (moving an INVALID verdict to
#     another node) are record_tampered for every command that reads them;
#   - after the log's last leaf is deleted, issue refuses to sign a fork;
#   - after a receipt row is deleted, issue restores it instead of issuing a
#     second receipt for the same record.
# Every damage is made on a fresh copy of one good ledger.
#   test_ledger_defends.sh BASIN MAKE_USAGE
basin=$1 make_usage=$2
source "$(dirname "${BASH_SOURCE[0]}")/../support/two_site_pool.sh" "$basin"

# make_usage job j: 2 cores, 1000 MB, wall 60 + j s; campus charges 81 per
# wall second of such a step, home 1020.
mkdir spool
"$make_usage" keys/inst1.key spool 3 inst1 campus alice 1 sacct.txt  # 81*(61+62+63) = 15066
# scancel: job 1's srun step (started 2 s into the job) ended a second after
# its batch step: the two overlap without nesting.
MAKE_USAGE_STEP=0 MAKE_USAGE_START_DELTA=2 MAKE_USAGE_END_DELTA=1 \
  "$make_usage" keys/inst1.key spool 1 inst1 campus alice 1
"$make_usage" keys/vol1.key spool 2 vol1 home bob 10 sacct.txt  # 1020*(70+71) = 143820
# A replica group of three; job 52 disagrees and is INVALID.
rep() { MAKE_USAGE_REPLICA=rep MAKE_USAGE_DIGEST=sha256:$1 "$make_usage" "keys/$2.key" spool 1 "$2" "$3" alice "$4" sacct.txt; }
rep aaaa inst1 campus 50  # campus internal: 81*110 = 8910
rep aaaa vol1 home 51     # campus owes home 1020*111 = 113220
rep bbbb vol1 home 52     # INVALID: not charged
L="$basin ledger --db ledger.sqlite"
$L ingest spool --keys node-keys --pool pool.toml >/dev/null
$L issue --pool pool.toml --sacct sacct.txt --site-key keys/campus.sign.key >/dev/null
$L issue --pool pool.toml --sacct sacct.txt --site-key keys/home.sign.key >/dev/null
# home publishes its signed openings; campus settles with its own key only.
$L open-pairs --period 2026-11 --pool pool.toml --site-key keys/home.sign.key >/dev/null
sqlite3 ledger.sqlite ".backup good.sqlite"

KEYS="--site-key keys/campus.sign.key"
# The good books: 9 receipts, the srun step and the INVALID replica not charged.
expect_good_totals() {  # OUT: settle's output
  grep -q "^9 receipts offered, 7 charged, 2 not charged, 0 failed" "$1" || fail "counts: $(cat "$1")"
  grep -Eq "^campus +campus +4 +0.023976  checked \(internal\)$" "$1" || fail "campus total: $(cat "$1")"
  grep -Eq "^home +campus +1 +0.113220  checked$" "$1" || fail "home -> campus total"
  grep -Eq "^home +home +2 +0.143820  checked \(internal\)$" "$1" || fail "home total"
}
fresh() { cp good.sqlite damaged.sqlite; rm -f damaged.sqlite-wal damaged.sqlite-shm; }
D="$basin ledger --db damaged.sqlite"
run() {  # OUT CMD...: runs CMD with stdout to OUT, sets rc
  local out=$1
  shift
  set +e
  "$@" >"$out" 2>&1
  rc=$?
  set -e
  cat "$out"
}

# --- scancel overlap: charged once, whatever order the steps ended in.
$L settle --period 2026-11 --pool pool.toml $KEYS --out good >good.out || fail "settle: $(cat good.out)"
expect_good_totals good.out
grep -q "not charged .* (basin/1.0/r0/inst1): runs inside step batch on inst1" good.out ||
  fail "the srun step ending after its batch step was charged"
echo "ok: a step ending 1 s after its batch step is charged once"

# --- a mistyped ledger path.
run typo.out $basin ledger --db typo.sqlite verify --pool pool.toml
[ $rc != 0 ] || fail "verify of a missing ledger succeeded"
grep -q "ledger typo.sqlite does not exist: check the path given with --db" typo.out || fail "typo message"
run typo2.out $basin ledger --db typo.sqlite settle --period 2026-11 --pool pool.toml $KEYS --out typo
[ $rc != 0 ] || fail "settle of a missing ledger succeeded"
[ ! -e typo.sqlite ] && [ ! -e typo.json ] || fail "a missing ledger was created or settled"
echo "ok: a mistyped --db is an error, no ledger created, nothing signed"

# --- a conflicting record for a step that already has a receipt.
fresh
mkdir conflict
MAKE_USAGE_CPU_EXTRA=7 "$make_usage" keys/inst1.key conflict 1 inst1 campus alice 1
# (The log orders receipts by leaf hash, not by job: look the leaf up.)
leaf1=$(sqlite3 damaged.sqlite "SELECT r.leaf_index FROM receipts r JOIN records rec ON rec.id = r.record_id WHERE rec.identity = 'basin/1.batch/r0/inst1'")
run c-ingest.out $D ingest conflict --keys node-keys --pool pool.toml
[ $rc = 1 ] && grep -q "1 in conflict" c-ingest.out || fail "conflict not flagged at ingest"
run c-issue.out $D issue --pool pool.toml --sacct sacct.txt --site-key keys/campus.sign.key
[ $rc = 1 ] || fail "issue should exit 1 on a conflicting record"
grep -q "^finding conflicting_record basin/1.batch/r0/inst1: .* receipt is leaf $leaf1 of demo/campus/receipts" \
  c-issue.out || fail "conflict not named by issue"
grep -q "^0 receipts issued" c-issue.out || fail "a conflicting record was issued"
run c-settle.out $D settle --period 2026-11 --pool pool.toml $KEYS --out c
[ $rc = 1 ] || fail "settle should exit 1 on a conflicting record"
grep -q "^finding conflicting_record basin/1.batch/r0/inst1: .* charged once, by that receipt" c-settle.out ||
  fail "conflict not named by settle"
expect_good_totals c-settle.out
echo "ok: a conflicting record is a finding and charged once"

# --- result digests edited in the database: the INVALID verdict would move
# from vol1's job 52 to inst1's job 50.
fresh
set_digest() {  # IDENTITY HEX4: rewrites the digest inside the signed bytes
  sqlite3 damaged.sqlite "UPDATE records SET signed_record = CAST(
    substr(signed_record, 1, instr(signed_record, CAST('sha256:' AS BLOB)) + 6) || CAST('$2' AS BLOB) ||
    substr(signed_record, instr(signed_record, CAST('sha256:' AS BLOB)) + 11) AS BLOB) WHERE identity = '$1'"
}
set_digest basin/50.batch/r0/inst1 bbbb
set_digest basin/52.batch/r0/vol1 aaaa
for verb in "validate --pool pool.toml" "verify --pool pool.toml" \
  "settle --period 2026-11 --pool pool.toml $KEYS --out t" \
  "reconcile --period 2026-11 --pool pool.toml --sacct sacct.txt" \
  "issue --pool pool.toml --sacct sacct.txt --site-key keys/campus.sign.key" \
  "budget show --pool pool.toml --no-queue"; do
  run t.out $D $verb
  [ $rc = 1 ] || fail "$verb: exit $rc with edited records"
  for id in basin/50.batch/r0/inst1 basin/52.batch/r0/vol1; do
    grep -q "^finding record_tampered $id: " t.out || fail "$verb: $id not named"
  done
done
run v.out $D validate --pool pool.toml
if grep -Eq "^rep +50 +inst1 .*INVALID" v.out; then fail "the edited digest moved the verdict"; fi
run s.out $D settle --period 2026-11 --pool pool.toml $KEYS --out t
grep -q "EXCLUDED .* (basin/50.batch/r0/inst1): its record fails its signature check" s.out ||
  fail "the receipt of an edited record was counted"
grep -Eq "^campus +campus +3 +0.015066  checked \(internal\)$" s.out || fail "campus total with job 50 excluded"
echo "ok: edited records are named by every command and never used"

# --- the last leaf of campus's log deleted (with its receipt row): issue
# would re-issue the record as a new leaf at the same index, a signed fork.
fresh
sqlite3 damaged.sqlite "DELETE FROM receipts WHERE origin = 'demo/campus/receipts' AND leaf_index = 4;
  DELETE FROM log_leaves WHERE origin = 'demo/campus/receipts' AND leaf_index = 4;"
before=$(sqlite3 damaged.sqlite "SELECT tree_size, hex(root), note FROM checkpoints ORDER BY origin, tree_size")
run f.out $D issue --pool pool.toml --sacct sacct.txt --site-key keys/campus.sign.key
[ $rc = 1 ] || fail "issue on a shortened log exited $rc"
grep -q "^refused: log demo/campus/receipts is shorter than what its site signed: the log has 4 leaves (root [0-9a-f]\{64\}), its last signed checkpoint covers 5 (root [0-9a-f]\{64\})" \
  f.out || fail "fork refusal not named"
[ "$(sqlite3 damaged.sqlite "SELECT tree_size, hex(root), note FROM checkpoints ORDER BY origin, tree_size")" = "$before" ] ||
  fail "issue signed a checkpoint for a log that does not extend the last one"
[ "$(sqlite3 damaged.sqlite "SELECT COUNT(*) FROM log_leaves WHERE origin = 'demo/campus/receipts'")" = 4 ] ||
  fail "issue appended to a shortened log"
run f2.out $D verify --pool pool.toml
[ $rc = 1 ] && grep -q "newest checkpoint covers 5 leaves, the log has 4" f2.out || fail "verify of the shortened log"
echo "ok: issue refuses to sign a log that does not extend its last checkpoint"

# --- a receipt row deleted: the leaf is still in the log.
fresh
leaf2=$(sqlite3 damaged.sqlite "SELECT r.leaf_index FROM receipts r JOIN records rec ON rec.id = r.record_id WHERE rec.identity = 'basin/2.batch/r0/inst1'")
sqlite3 damaged.sqlite "DELETE FROM receipts WHERE record_id = (SELECT id FROM records WHERE identity = 'basin/2.batch/r0/inst1')"
run r.out $D verify --pool pool.toml
[ $rc = 1 ] && grep -q "BAD log demo/campus/receipts leaf $leaf2 has no receipt row" r.out || fail "verify: lost row"
run r2.out $D issue --pool pool.toml --sacct sacct.txt --site-key keys/campus.sign.key
[ $rc = 1 ] || fail "issue should exit 1 on a lost receipt row"
grep -q "^finding receipt_unindexed basin/2.batch/r0/inst1: leaf $leaf2 of log demo/campus/receipts" r2.out ||
  fail "lost receipt row not named"
grep -q "^0 receipts issued for site campus.* size 5," r2.out || fail "a second receipt was issued"
$D verify --pool pool.toml >r3.out || fail "verify after the row was restored: $(cat r3.out)"
$D settle --period 2026-11 --pool pool.toml $KEYS --out r >r4.out || fail "settle: $(cat r4.out)"
expect_good_totals r4.out
echo "ok: a record already in the log is never issued again"

# --- two receipt rows swapped between their records: the account holder's opening
# names the signed record the receipt was issued for, so the swap shows.
fresh
$D open --account-key keys/bob.box.key --pool pool.toml >o1.out || fail "open: $(cat o1.out)"
a="(SELECT id FROM records WHERE identity = 'basin/10.batch/r0/vol1')"
b="(SELECT id FROM records WHERE identity = 'basin/11.batch/r0/vol1')"
sqlite3 damaged.sqlite "UPDATE receipts SET record_id = -1 WHERE record_id = $a;
  UPDATE receipts SET record_id = $a WHERE record_id = $b; UPDATE receipts SET record_id = $b WHERE record_id = -1"
run o2.out $D open --account-key keys/bob.box.key --pool pool.toml
[ $rc = 1 ] && grep -q "^BAD receipt .*its opening names another signed record than the one the ledger holds" o2.out ||
  fail "a receipt moved to another record was not caught"
echo "ok: a receipt bound to another record than its own is named by the account holder's open"
echo PASS
