#!/bin/bash
# Replica groups that span sites: three replicas of one computation ran on
# nodes of three sites, each site keeping its own books. Each provider's
# bundle carries replica evidence (the node-signed record and the receipt's
# salt), so every site judges the group alike: the two agreeing results are
# canonical and charged, lab's disagreeing replica is INVALID and no site's
# statement charges it, and the three statements are byte-identical. Then lab
# publishes a validly signed opening that charges its INVALID replica anyway:
# every settling site names lab and leaves its pair unsettled. Evidence bound
# to another receipt than the one it claims is refused at import.
#   test_cross_site_replicas_cli.sh BASIN MAKE_USAGE
set -euo pipefail
basin=$1 make_usage=$2
support="$(cd "$(dirname "${BASH_SOURCE[0]}")/../support" && pwd)"
source "$support/two_site_pool.sh" "$basin"
source "$support/exchange.sh"
add_lab_site
sites="campus home lab"
P=2026-11

# Replica group g1 (quorum 2, pool default): jobs 1 (campus), 2 (home) and
# 3 (lab), all for bob; lab's result differs. Unreplicated: job 5 at campus
# and job 6 at lab, also for bob.
mkdir spool-campus spool-home spool-lab
MAKE_USAGE_REPLICA=g1 MAKE_USAGE_DIGEST=sha256:aa \
  "$make_usage" keys/inst1.key spool-campus 1 inst1 campus bob 1 sacct.txt
MAKE_USAGE_REPLICA=g1 MAKE_USAGE_DIGEST=sha256:aa \
  "$make_usage" keys/vol1.key spool-home 1 vol1 home bob 2 sacct.txt
MAKE_USAGE_REPLICA=g1 MAKE_USAGE_DIGEST=sha256:bb \
  "$make_usage" keys/lab1.key spool-lab 1 lab1 lab bob 3 sacct.txt
"$make_usage" keys/inst1.key spool-campus 1 inst1 campus bob 5 sacct.txt
"$make_usage" keys/lab1.key spool-lab 1 lab1 lab bob 6 sacct.txt
ingest_and_issue
cp lab/ledger.sqlite lab-alone.sqlite  # lab's books before it heard of the others

# Alone, no site can judge the group: each sees one replica (unvalidated).
"$basin" ledger --db lab/ledger.sqlite validate --pool pool.toml >alone.out || true
grep -q "g1" alone.out || { cat alone.out; fail "lab does not list its replica group"; }

exchange_bundles $P 1 import-1.out
grep -q "replica evidence of 1 receipts stored" import-1.out ||
  { cat import-1.out; fail "no replica evidence imported"; }
exchange_bundles $P 2 import-2.out
settle_everywhere $P

CAMPUS=$(($(credit campus 1) + $(credit campus 5))) LAB=$(credit lab 6) python3 - <<'PY' ||
import json, os
s = json.load(open("campus/statement.json"))
pairs = {(p["provider"], p["consumer"]): p for p in s["pairs"]}
assert all(p["opened"] for p in s["pairs"]), s["pairs"]
assert pairs[("campus", "home")]["micro_credits"] == int(os.environ["CAMPUS"]), pairs
# lab's pair holds job 6 only: its INVALID replica (job 3) is not charged.
assert pairs[("lab", "home")]["micro_credits"] == int(os.environ["LAB"]), pairs
nc = s["receipts"]["not_charged"]
assert any("basin/3.batch/r0/lab1" == x["record"] and "replica INVALID in group g1" in x["reason"]
           for x in nc), nc
# The agreeing replicas are validated: charged without an "unvalidated" flag.
assert not any("unvalidated" in x["reason"] for x in s["receipts"]["charged_flagged"]), s
assert s["replica_evidence"]["records"] == 3, s.get("replica_evidence")
PY
  fail "cross-site replica group judged wrongly"

# A hostile lab: its opening, made from books that ignore the others'
# evidence, charges the INVALID replica. Validly signed, and named.
"$basin" ledger --db lab-alone.sqlite export --pool pool.toml --site-key keys/lab.sign.key \
  --period $P --from 0 --out lab-greedy.bundle >/dev/null
"$basin" ledger --db home/ledger.sqlite import --pool pool.toml --witness-key keys/home.witness.key \
  --cosigned-dir home/back lab-greedy.bundle >/dev/null
set +e
"$basin" ledger --db home/ledger.sqlite settle --public --period $P --pool pool.toml \
  --site-key keys/home.sign.key --out home/greedy >greedy.out; rc=$?
set -e
cat greedy.out
[ $rc = 1 ] || fail "an opening charging an INVALID replica was settled"
grep -q "site lab charges leaf [0-9]* of log demo/lab/receipts (basin/3.batch/r0/lab1), which is not charged: replica INVALID in group g1" greedy.out ||
  fail "the greedy provider is not named with the receipt"
python3 - <<'PY' || fail "greedy pair settled or honest pairs not"
import json
s = json.load(open("home/greedy.json"))
assert [p for p in s["pairs"] if p["provider"] == "lab" and not p["opened"]], s["pairs"]
assert all(p["opened"] for p in s["pairs"] if p["provider"] != "lab"), s["pairs"]
PY

# Evidence moved to another receipt (lab's job 6) does not bind to it.
python3 - lab-greedy.bundle lab-moved.bundle <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
at = 13 + 2
for _ in range(2):  # pool, origin
    (n,) = struct.unpack_from("<H", b, at); at += 2 + n
at += 8  # from_size
(n,) = struct.unpack_from("<I", b, at); at += 4 + n  # checkpoint note
(k,) = struct.unpack_from("<I", b, at); at += 4 + 32 * k
(m,) = struct.unpack_from("<Q", b, at); at += 8
for _ in range(m):
    (n,) = struct.unpack_from("<I", b, at); at += 4 + n
(o,) = struct.unpack_from("<I", b, at); at += 4
for _ in range(o):
    (n,) = struct.unpack_from("<I", b, at); at += 4 + n
(e,) = struct.unpack_from("<I", b, at); at += 4
assert e == 1 and m == 2, (e, m)
(leaf,) = struct.unpack_from("<Q", b, at)
struct.pack_into("<Q", b, at, 1 - leaf)  # the other receipt of lab's log
open(sys.argv[2], "wb").write(b)
PY
set +e
"$basin" ledger --db campus/ledger.sqlite import --pool pool.toml \
  --witness-key keys/campus.witness.key --cosigned-dir campus/back lab-moved.bundle >moved.out
rc=$?
set -e
cat moved.out
[ $rc = 1 ] || fail "moved evidence accepted"
grep -q "^evidence refused lab-moved.bundle: leaf [01]: the record's identity basin/3.batch/r0/lab1 with this salt is not the receipt's job_ref" moved.out ||
  fail "moved evidence not named"
echo PASS
