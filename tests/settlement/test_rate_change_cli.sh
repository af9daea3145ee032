#!/bin/bash
# A rate change never reprices or invalidates older receipts: receipts name
# the card they were priced with (full SHA-256 id), pool.toml keeps earlier
# cards, and settlement prices each receipt with its own card, whether the
# pair is opened with the provider's key or from its published opening.
#   test_rate_change_cli.sh BASIN MAKE_USAGE
set -euo pipefail
basin=$1 make_usage=$2
source "$(dirname "${BASH_SOURCE[0]}")/../support/two_site_pool.sh" "$basin"
L="$basin ledger --db ledger.sqlite"
mkdir s1 s2
"$make_usage" keys/inst1.key s1 2 inst1 campus bob 1 sacct.txt
$L ingest s1 --keys node-keys --pool pool.toml >/dev/null
$L issue --pool pool.toml --sacct sacct.txt --site-key keys/campus.sign.key >/dev/null
card_ids() {  # the rate card ids the ledger's receipts name, one per line
  $L show --receipts --json | python3 -c "
import json, sys
text, dec, pos = sys.stdin.read(), json.JSONDecoder(), 0
ids = set()
while text[pos:].strip():
    obj, end = dec.raw_decode(text, pos + len(text[pos:]) - len(text[pos:].lstrip()))
    ids.add(obj['rate_card_id']); pos = end
print('\\n'.join(sorted(ids)))"
}
old_id=$(card_ids)
[[ $old_id =~ ^campus:[0-9a-f]{64}$ ]] || fail "rate card id is not full-length: $old_id"

"$basin" pool set-rates --site campus --core-second 80 --wall-second 2 | tee rates.out
grep -q "1 earlier cards kept" rates.out || fail "set-rates"
grep -q '^\[\[site.previous_rates\]\]' pool.toml || fail "previous card not in pool.toml"
"$make_usage" keys/inst1.key s2 1 inst1 campus bob 3 sacct.txt
$L ingest s2 --keys node-keys --pool pool.toml >/dev/null
$L issue --pool pool.toml --sacct sacct.txt --site-key keys/campus.sign.key >/dev/null
$L verify --pool pool.toml --batch | tee verify.out
grep -q "3 receipts checked (batch) in 1 logs: all good" verify.out || fail "old receipts fail after a rate change"
[ "$(card_ids | wc -l)" = 2 ] || fail "receipts should name two cards: $(card_ids)"

# Jobs 1, 2 at the old card (40/core-s, 1/wall-s), job 3 at the new (80, 2):
# wall 60+j s on 2 cores.
expect=$(( (40*2*61 + 61) + (40*2*62 + 62) + (80*2*63 + 2*63) ))
$L settle --period 2026-11 --pool pool.toml --site-key keys/campus.sign.key --out st >settle.out ||
  { cat settle.out; fail "settle"; }
got=$(python3 -c "import json; print([p['micro_credits'] for p in json.load(open('st.json'))['pairs'] if p['provider']=='campus'][0])")
[ "$got" = "$expect" ] || fail "campus -> home priced $got, expected $expect (each receipt at its own card)"
$L open --account-key keys/bob.box.key --pool pool.toml | tee open.out
grep -Eq "basin/3.batch/r0/inst1 +2026-11 +126 +63000 +0 +63 $((80*126 + 2*63))$" open.out ||
  fail "open prices job 3 at the new card"
grep -Eq "basin/1.batch/r0/inst1 +2026-11 +122 +61000 +0 +61 $((40*122 + 61))$" open.out ||
  fail "open prices job 1 at the old card"
# A card that is in no version of pool.toml fails verification, by name.
sed -i '/^\[\[site.previous_rates\]\]/,/^wall_second/d' pool.toml
set +e
$L verify --pool pool.toml > gone.out; rc=$?
set -e
[ $rc = 1 ] && grep -q "rate card id campus:[0-9a-f]\{64\} is none of site 'campus's cards" gone.out ||
  { cat gone.out; fail "a receipt with an unknown card verified"; }
echo PASS
