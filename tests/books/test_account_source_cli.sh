#!/bin/bash
# The account charged is Slurm's, not the record's: `basin ledger issue`
# takes Slurm's accounting (an sacct export here) and
#   - charges the account Slurm holds for each job,
#   - names a record whose claimed account differs (finding, exit 1) and
#     still charges Slurm's account, never the claimed one,
#   - holds a record whose job Slurm does not show yet, and issues it on a
#     later run once Slurm's accounting has the job,
#   - refuses to run without Slurm's accounting.
#   test_account_source_cli.sh BASIN MAKE_USAGE
basin=$1 make_usage=$2
source "$(dirname "${BASH_SOURCE[0]}")/../support/two_site_pool.sh" "$basin"
mkdir spool
"$make_usage" keys/inst1.key spool 2 inst1 campus alice 1 sacct.txt        # honest
"$make_usage" keys/inst1.key spool 1 inst1 campus alice 5 sacct.txt bob    # claims alice, Slurm: bob
"$make_usage" keys/inst1.key spool 1 inst1 campus alice 9 later.txt        # Slurm has not got it yet
L="$basin ledger --db ledger.sqlite"
$L ingest spool --keys node-keys --pool pool.toml >/dev/null

if $L issue --pool pool.toml --site-key keys/campus.sign.key >none.out 2>none.err; then
  fail "issue ran without Slurm's accounting"
fi
grep -q "exactly one of --sacct FILE" none.err || fail "message: $(cat none.err)"

set +e
$L issue --pool pool.toml --site-key keys/campus.sign.key --sacct sacct.txt >issue.out
rc=$?
set -e
cat issue.out
[ $rc = 1 ] || fail "an account mismatch must make issue exit 1 (got $rc)"
grep -q "^finding account_mismatch basin/5.batch/r0/inst1: the node recorded account 'alice'.*Slurm charged 'bob'" issue.out ||
  fail "mismatch not named"
grep -q "^held basin/9.batch/r0/inst1: job 9 of cluster basin is not in Slurm's accounting" issue.out ||
  fail "unknown job not held"
grep -q "^3 receipts issued for site campus, 0 not issued, 1 held for Slurm's accounting, 1 findings" issue.out ||
  fail "counts"
$L show --receipts >show.out
grep -Eq "basin/5.batch/r0/inst1 +campus +bob " show.out || fail "job 5 not charged to bob: $(cat show.out)"
grep -Eq "basin/1.batch/r0/inst1 +campus +alice " show.out || fail "job 1 not charged to alice"
# Bob's key opens job 5's receipt; alice's does not.
$L open --account-key keys/bob.box.key | grep -q "basin/5.batch/r0/inst1" || fail "bob cannot open job 5"
$L open --account-key keys/alice.box.key | grep -q "basin/5.batch" && fail "alice opens job 5"

# Slurm's accounting catches up: the held record is issued, nothing twice.
tail -n 1 later.txt >>sacct.txt
$L issue --pool pool.toml --site-key keys/campus.sign.key --sacct sacct.txt >again.out || true
grep -q "^1 receipts issued for site campus, 0 not issued, 0 held" again.out || fail "$(cat again.out)"
echo "ok: Slurm's account charged, a false claim named, an unknown job held then issued"
