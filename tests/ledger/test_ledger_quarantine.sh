#!/bin/bash
# The books defend themselves: validly signed records with impossible figures
# or unprintable strings are quarantined by `ledger ingest` with a named
# reason while every other record is stored and issued; strings from nodes
# never reach the terminal or JSON raw; and one corrupt ledger row is named
# by show/issue/validate/settle/reconcile/budget, which still do their work
# for the other records.
#   test_ledger_quarantine.sh BASIN MAKE_USAGE MAKE_RECORDS
set -euo pipefail
basin=$1 make_usage=$2 make_records=$3
source "$(dirname "${BASH_SOURCE[0]}")/../support/two_site_pool.sh" "$basin"
esc=$'\x1b' cr=$'\r'
no_raw_esc() {  # FILE...: no ESC or CR byte from a record reached the output
  ! grep -q "[$esc$cr]" "$@" || fail "raw ESC/CR in $*: $(cat -v "$@")"
}

mkdir spool
"$make_usage" keys/inst1.key spool 2 inst1 campus alice 1 sacct.txt
"$make_usage" keys/vol1.key spool 3 vol1 home bob 10 sacct.txt
hostile() {  # JOB KIND: one validly signed record of vol1 of that kind
  "$make_records" keys/vol1.key spool 1 --node vol1 --site home --cluster basin --account bob \
    --first-job "$1" --kind "$2"
}
hostile 50 end-2^62
hostile 51 huge-memory
hostile 52 negative-start
hostile 53 escape-name
hostile 54 invalid-utf8
hostile 55 escape-account
# A node whose key the ring has but pool.toml does not: nothing bounds it.
"$basin" records keygen --node ghost --secret ghost.key --public node-keys 2>/dev/null
"$make_records" ghost.key spool 1 --node ghost --site home --cluster basin --first-job 60

L="$basin ledger --db ledger.sqlite"
$L ingest spool --keys node-keys --pool pool.toml >ingest.out && fail "ingest exit 0 with bad records"
cat -v ingest.out
no_raw_esc ingest.out
expect() {  # FILE PATTERN WHAT
  grep -Eq -- "$2" "$1" || fail "$3: $(cat -v "$1")"
}
expect ingest.out "^quarantined .*50\.0\.r0\.vol1\.basinrec \(basin/50\.0/r0/vol1\): end_time 4611686018427387904 is in the future" "end 2^62"
expect ingest.out "^quarantined .*\(basin/51\.0/r0/vol1\): alloc_mem_mb 1125899906842624 is more than node vol1's 2000 MB" "huge memory"
expect ingest.out "^quarantined .*\(basin/52\.0/r0/vol1\): start_time -5 is before 2020" "negative start"
expect ingest.out "^quarantined .*\(basin/53\.0/r0/vol1\): replica_group 'c:1000:evil\\\\x1b\[2J\\\\x0dname' holds a control character" "ESC/CR name"
expect ingest.out "^quarantined .*\(basin/54\.0/r0/vol1\): replica_group 'c:1000:bad\\\\xffname' is not valid UTF-8" "invalid UTF-8"
expect ingest.out "^quarantined .*\(basin/55\.0/r0/vol1\): account 'lab\\\\x1b\[31m' holds a control character" "ESC account"
expect ingest.out "^quarantined .*\(basin/60\.0/r0/ghost\): node ghost is not in pool.toml" "unknown node"
expect ingest.out "^5 added, 0 already in the ledger, 0 in conflict, 0 rejected, 7 quarantined; 5 records" "summary"

# A node name with ESC is refused (no key) and printed escaped, file name too.
mkdir evil
"$make_records" keys/vol1.key evil 1 --node "evil$esc[2J" --first-job 70
$L ingest evil --keys node-keys --pool pool.toml >evil.out && fail "ingest of an unknown node exit 0"
no_raw_esc evil.out
expect evil.out "^rejected evil/70\.0\.r0\.evil\\\\x1b\[2J\.basinrec: no public key for node 'evil\\\\x1b\[2J'" "rejected node escaped"

$L show --quarantined >quarantine.out
no_raw_esc quarantine.out
expect quarantine.out "^7 records in the quarantine" "show --quarantined count"
expect quarantine.out "^quarantined basin/51\.0/r0/vol1 \(hash [0-9a-f]{16}, from .*51\.0\.r0\.vol1\.basinrec\): alloc_mem_mb" "show --quarantined reason"
# A rerun names them again, stores nothing twice.
$L ingest spool --keys node-keys --pool pool.toml >again.out && fail "rerun exit 0"
expect again.out "^0 added, 5 already in the ledger, 0 in conflict, 0 rejected, 7 quarantined; 5 records" "rerun"
[ "$(sqlite3 ledger.sqlite 'SELECT COUNT(*) FROM quarantine')" = 7 ] || fail "quarantine rows"

# The quarantined records never block issue: every good record gets a receipt.
$L issue --pool pool.toml --sacct sacct.txt --site-key keys/campus.sign.key >issue1.out ||
  fail "issue campus: $(cat issue1.out)"
$L issue --pool pool.toml --sacct sacct.txt --site-key keys/home.sign.key >issue2.out ||
  fail "issue home: $(cat issue2.out)"
expect issue1.out "^2 receipts issued for site campus, 0 not issued" "campus issue"
expect issue2.out "^3 receipts issued for site home, 0 not issued" "home issue"

# Strings are escaped wherever a record reaches a terminal or JSON.
"$basin" records show spool >records.out 2>&1 || true
no_raw_esc records.out
expect records.out 'lab\\x1b\[31m' "records show escapes the account"
"$basin" records show --json spool >records.json 2>&1 || true
no_raw_esc records.json
[ "$(wc -l <records.json)" = 12 ] || fail "records show --json: $(cat -v records.json)"
jq -e . records.json >/dev/null || fail "records show --json is not valid JSON: $(cat -v records.json)"
expect records.json '"replica_group":"c:1000:bad\\\\xffname"' "JSON escapes invalid UTF-8"

# A ledger from before these checks may already hold such records: issue
# names the one it cannot issue and goes on; every verb sets aside the one
# with a control character (it would reach terminals and statements raw).
sqlite3 ledger.sqlite "INSERT INTO records (content_hash, identity, cluster, job_id, step,
  restart_count, node, site, account, submit_time, end_time, cpu_us, signed_record, source,
  ingested_at) SELECT content_hash, identity, 'basin', 0, '0', 0, 'vol1', 'home', 'bob', 0, 0, 0,
  signed_record, source, 0 FROM quarantine WHERE identity IN ('basin/50.0/r0/vol1',
  'basin/53.0/r0/vol1')"
local_time() { date -d "@$1" +%Y-%m-%dT%H:%M:%S; }
echo "50|basin|bob|$(local_time 1795000050)|$(local_time 1795000051)|$(local_time 1795000061)|COMPLETED|1|10" >>sacct.txt
$L issue --pool pool.toml --sacct sacct.txt --site-key keys/home.sign.key >old.out &&
  fail "issue exit 0 with an unissuable record: $(cat old.out)"
expect old.out "^not issued basin/50\.0/r0/vol1: usage of basin/50\.0/r0/vol1 overflows" "issue names the end 2^62 record"
expect old.out "^0 receipts issued for site home, 1 not issued" "issue summary"
expect old.out "^(set aside|finding record_tampered) basin/53\.0/r0/vol1( \(ledger row [0-9]+\))?: its replica_group 'c:1000:evil\\\\x1b\[2J\\\\x0dname' holds a control character" "old hostile string"
no_raw_esc old.out
sqlite3 ledger.sqlite "DELETE FROM records WHERE identity IN ('basin/50.0/r0/vol1', 'basin/53.0/r0/vol1')"

# One corrupt row with a receipt (job 11) and one without (job 21, new):
# each verb names it and does its work for the others.
"$make_usage" keys/vol1.key spool 2 vol1 home bob 20 sacct.txt
$L ingest spool --keys node-keys --pool pool.toml >/dev/null || true
sqlite3 ledger.sqlite "UPDATE records SET signed_record = x'00' WHERE identity IN
  ('basin/11.batch/r0/vol1', 'basin/21.batch/r0/vol1')"
# (show and budget read the ledger as it is: "set aside"; the verbs that
# re-check every record against pool.toml's node keys: "record_tampered".)
named() {  # FILE VERB: both rows named with a reason
  for j in 11 21; do
    expect "$1" "^(set aside|finding record_tampered) basin/$j\.batch/r0/vol1( \(ledger row [0-9]+\))?: .*(hash|stored under)" "$2 names job $j"
  done
}
$L show >show.out && fail "show exit 0 with a corrupt row"
named show.out show
expect show.out "^basin/10\.batch/r0/vol1 " "show lists the others"
expect show.out "^basin/20\.batch/r0/vol1 " "show lists the new record"

$L issue --pool pool.toml --sacct sacct.txt --site-key keys/home.sign.key >issue3.out &&
  fail "issue exit 0 with a corrupt row"
named issue3.out issue
expect issue3.out "^1 receipts issued for site home" "issue still issues job 20"

$L validate --pool pool.toml >validate.out && fail "validate exit 0 with a corrupt row"
named validate.out validate

$L open-pairs --period 2026-11 --pool pool.toml --site-key keys/home.sign.key >/dev/null || true
S="$L settle --period 2026-11 --pool pool.toml --site-key keys/campus.sign.key"
$S --out st >settle.out && fail "settle exit 0 with a corrupt row"
named settle.out settle
[ -s st.json ] || fail "settle wrote no statement: $(cat settle.out)"

$L reconcile --period 2026-11 --pool pool.toml --sacct sacct.txt >reconcile.out &&
  fail "reconcile exit 0 with a corrupt row"
named reconcile.out reconcile

$L budget show --pool pool.toml --no-queue >budget.out && fail "budget show exit 0 with a corrupt row"
named budget.out "budget show"
# The admin adds the missing node to pool.toml and ingests again: its record
# leaves the quarantine for the records.
"$basin" pool add-node --name ghost --site home --cpus 2 --memory-mb 2000 >/dev/null
$L ingest spool --keys node-keys --pool pool.toml >fixed.out || true
expect fixed.out "^1 added, .* 6 quarantined" "the fixed node's record is stored"
$L show --quarantined >quarantine2.out
expect quarantine2.out "^6 records in the quarantine" "the record left the quarantine"
! grep -q ghost quarantine2.out || fail "ghost still quarantined: $(cat quarantine2.out)"
echo "ok: 7 hostile records quarantined by name, 5 good ones issued; strings escaped; a corrupt row named by show/issue/validate/settle/reconcile, which did the rest"
