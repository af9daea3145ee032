#!/bin/bash
# Each site its own ledger; logs exchanged as bundles and witnessed.
# Three sites (campus, home, lab), each ingesting and issuing only its own
# nodes' records in its own ledger with its own keys. campus exports its log,
# home and lab import it (mirror, verify every receipt, cosign as witnesses),
# campus keeps their cosignatures and its next bundle extends the first with
# a consistency proof. Then: a replayed bundle (nothing added), a truncated
# bundle, a bundle missing a receipt of its checkpoint, one with a receipt
# swapped, a bundle from another pool's view and a forked log (a copy of
# campus's ledger that signed another tree of the same size) are each caught
# and named, with nothing stored; the fork is kept as evidence.
#   test_exchange_cli.sh BASIN MAKE_USAGE
set -euo pipefail
basin=$1 make_usage=$2
source "$(dirname "${BASH_SOURCE[0]}")/../support/two_site_pool.sh" "$basin"
"$basin" pool add-site --name lab --tier institutional --core-second 30 >/dev/null
"$basin" pool add-node --name lab1 --site lab --cpus 2 --memory-mb 2000 >/dev/null
"$basin" pool add-account --name carol --home-site lab >/dev/null
"$basin" pool node-keys >node-keys
grep -q '^witness_key = ' pool.toml || fail "add-site wrote no witness key"
[ "$(stat -c %a keys/campus.witness.key)" = 600 ] || fail "witness key mode"

mkdir spool-campus spool-home spool-lab
"$make_usage" keys/inst1.key spool-campus 3 inst1 campus bob 1 sacct.txt
"$make_usage" keys/vol1.key spool-home 2 vol1 home alice 10 sacct.txt
"$make_usage" keys/lab1.key spool-lab 2 lab1 lab alice 20 sacct.txt
for s in campus home lab; do
  "$basin" ledger --db $s.sqlite ingest spool-$s --keys node-keys --pool pool.toml >/dev/null
  "$basin" ledger --db $s.sqlite issue --pool pool.toml --sacct sacct.txt \
    --site-key keys/$s.sign.key >/dev/null
done
C="$basin ledger --db campus.sqlite" H="$basin ledger --db home.sqlite" L="$basin ledger --db lab.sqlite"

# --- campus exports; home and lab witness -----------------------------------
$C export --pool pool.toml --site-key keys/campus.sign.key --out b1.bundle | tee export1.out
grep -q "leaves 0..3 (3 receipts)" export1.out || fail "first export"
mkdir -p back back-lab
$H import --pool pool.toml --witness-key keys/home.witness.key --cosigned-dir back b1.bundle | tee imp-h1.out
grep -q "^imported b1.bundle: log demo/campus/receipts size 3, 3 receipts added; witnessed by home" imp-h1.out ||
  fail "home import"
$L import --pool pool.toml --witness-key keys/lab.witness.key --cosigned-dir back-lab b1.bundle >/dev/null
grep -q "demo/home/witness" back/campus-3.cosigned || fail "home's cosignature not written"
grep -q "demo/lab/witness" back-lab/campus-3.cosigned || fail "lab's cosignature not written"
$C add-cosignatures --pool pool.toml --site-key keys/campus.sign.key back/campus-3.cosigned \
  back-lab/campus-3.cosigned | tee cos.out
grep -q "^2 cosignatures kept for log demo/campus/receipts" cos.out || fail "cosignatures kept"
# A witness key cannot stand in for a site key, nor a site's cosignature for its own log.
set +e
$C add-cosignatures --pool pool.toml --site-key keys/home.sign.key back/campus-3.cosigned > cos-bad.out; rc=$?
set -e
[ $rc = 1 ] && grep -q "that this site did not sign" cos-bad.out || fail "foreign cosigned accepted (rc $rc)"

# The mirror verifies like any log: home's ledger now holds campus's log.
$H verify --pool pool.toml | tee verify-h.out
grep -q "in 2 logs: all good" verify-h.out || fail "home verify with mirror"

# A replayed bundle adds nothing and is no error.
$H import --pool pool.toml --witness-key keys/home.witness.key --cosigned-dir back b1.bundle | tee replay.out
grep -q "^replay b1.bundle: log demo/campus/receipts size 3, 0 receipts added" replay.out || fail "replay"

# --- campus grows; the next bundle extends the first --------------------------
cp campus.sqlite campus-fork.sqlite   # (for the fork below: campus before it grew)
mkdir spool-campus2 spool-fork
"$make_usage" keys/inst1.key spool-campus2 2 inst1 campus bob 30 sacct.txt
$C ingest spool-campus2 --keys node-keys --pool pool.toml >/dev/null
$C issue --pool pool.toml --sacct sacct.txt --site-key keys/campus.sign.key >/dev/null
$C export --pool pool.toml --site-key keys/campus.sign.key --out b2.bundle | tee export2.out
grep -q "leaves 3..5 (2 receipts)" export2.out || fail "second export starts where the first ended"
$H import --pool pool.toml --witness-key keys/home.witness.key --cosigned-dir back b2.bundle | tee imp-h2.out
grep -q "^imported b2.bundle: log demo/campus/receipts size 5, 2 receipts added" imp-h2.out || fail "extend"
$L import --pool pool.toml --witness-key keys/lab.witness.key --cosigned-dir back-lab b2.bundle | tee imp-l2.out
grep -q "size 5, 2 receipts added; witnessed by lab" imp-l2.out || fail "lab extend"
# Cosignatures travel: campus keeps both witnesses' and resends; each site now
# sees a checkpoint witnessed by a quorum of the others.
$C add-cosignatures --pool pool.toml --site-key keys/campus.sign.key back/campus-5.cosigned \
  back-lab/campus-5.cosigned >/dev/null
$C export --pool pool.toml --site-key keys/campus.sign.key --from 3 --out b2b.bundle | tee export2b.out
grep -q "checkpoint size 5 with 2 cosignatures" export2b.out || fail "export carries cosignatures"
$H import --pool pool.toml --witness-key keys/home.witness.key --cosigned-dir back b2b.bundle | tee imp-h2b.out
grep -q "^replay b2b.bundle: .* witnessed by home,lab$" imp-h2b.out || fail "quorum of witnesses"


expect_bad() {  # expect_bad NAME FILE PATTERN [db]
  local db=${4:-fresh.sqlite} rc
  rm -f fresh.sqlite
  set +e
  "$basin" ledger --db "$db" import --pool pool.toml --witness-key keys/home.witness.key \
    --cosigned-dir back "$2" >"$1.out"; rc=$?
  set -e
  cat "$1.out"
  [ $rc = 1 ] || fail "$1: exit $rc"
  grep -q "$3" "$1.out" || fail "$1: not named ($3)"
}
# A fresh site (nothing mirrored) cannot start at leaf 3.
expect_bad gap b2.bundle "starts at leaf 3, this site holds only 0 leaves"

# Truncated.
head -c -200 b1.bundle >trunc.bundle
expect_bad truncated trunc.bundle "BAD trunc.bundle: .*truncated"

# Python edits of the bundle format (bundle.hpp): drop or swap a leaf.
python3 - b1.bundle <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
p = 13 + 2
for _ in range(2):
    (n,) = struct.unpack_from("<H", data, p); p += 2 + n
p += 8
(n,) = struct.unpack_from("<I", data, p); p += 4 + n
(k,) = struct.unpack_from("<I", data, p); p += 4 + 32 * k
head = data[:p]
(m,) = struct.unpack_from("<Q", data, p); p += 8
leaves = []
for _ in range(m):
    (n,) = struct.unpack_from("<I", data, p); leaves.append(data[p + 4:p + 4 + n]); p += 4 + n
tail = data[p:]  # the openings
def write(name, ls):
    out = head + struct.pack("<Q", len(ls)) + b"".join(struct.pack("<I", len(l)) + l for l in ls) + tail
    open(name, "wb").write(out)
write("missing.bundle", leaves[:1] + leaves[2:])
write("swapped.bundle", [leaves[1], leaves[0]] + leaves[2:])
PY
expect_bad missing missing.bundle "holds 2 leaves from 0, its checkpoint has 3"
expect_bad swapped swapped.bundle "a receipt of the checkpoint is missing from the bundle or altered"
[ ! -s fresh.sqlite ] || [ "$(sqlite3 fresh.sqlite 'SELECT COUNT(*) FROM log_leaves')" = 0 ] ||
  fail "a bad bundle left leaves behind"

# --- a fork: campus's copy signs another tree of size 5 -----------------------
"$make_usage" keys/inst1.key spool-fork 2 inst1 campus bob 40 sacct.txt
"$basin" ledger --db campus-fork.sqlite ingest spool-fork --keys node-keys --pool pool.toml >/dev/null
"$basin" ledger --db campus-fork.sqlite issue --pool pool.toml --sacct sacct.txt \
  --site-key keys/campus.sign.key >/dev/null
"$basin" ledger --db campus-fork.sqlite export --pool pool.toml --site-key keys/campus.sign.key \
  --from 0 --out fork.bundle >/dev/null
before=$(sqlite3 home.sqlite "SELECT COUNT(*) FROM log_leaves WHERE origin = 'demo/campus/receipts'")
expect_bad fork fork.bundle "^FORK fork.bundle: log demo/campus/receipts: signed checkpoint of size 5 has another root" home.sqlite
after=$(sqlite3 home.sqlite "SELECT COUNT(*) FROM log_leaves WHERE origin = 'demo/campus/receipts'")
[ "$before" = "$after" ] || fail "fork changed the mirror ($before -> $after)"
set +e
$H forks > forks.out; rc=$?
set -e
[ $rc = 1 ] || fail "forks exit $rc"
grep -q "^1 forks" forks.out && grep -q "^--- signed since:" forks.out || fail "fork evidence"
[ "$(grep -c '^demo/campus/receipts$' forks.out)" = 2 ] || fail "both checkpoints in the evidence"

# Commands other than ingest/import need an existing ledger for exports.
set +e
"$basin" ledger --db nothing.sqlite export --pool pool.toml --site-key keys/campus.sign.key > noexp.out 2>&1; rc=$?
set -e
[ $rc != 0 ] && grep -q "ledger nothing.sqlite does not exist" noexp.out || fail "export of an empty log (rc $rc)"
[ ! -e nothing.sqlite ] || fail "export created a ledger"
# Secret keys readable by others are refused, naming the fix.
chmod 640 keys/campus.sign.key
set +e
$C export --pool pool.toml --site-key keys/campus.sign.key --out loose.bundle > loose.out 2>&1; rc=$?
set -e
chmod 600 keys/campus.sign.key
[ $rc != 0 ] && grep -q "has mode 0640: others could read the secret (chmod 600 keys/campus.sign.key)" loose.out ||
  { cat loose.out; fail "a key readable by the group was used (rc $rc)"; }
[ ! -e loose.bundle ] || fail "a bundle was written with a loose key"
chmod 644 keys/alice.box.key
set +e
$H open --account-key keys/alice.box.key > loose-open.out 2>&1; rc=$?
set -e
[ $rc != 0 ] && grep -q "has mode 0644" loose-open.out || fail "account key readable by others used"
echo "PASS"
