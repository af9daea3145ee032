#!/bin/bash
# Settlement no site has to trust: three sites, each with its own ledger and
# only its own keys, exchange bundles (receipts, witnessed checkpoints, signed
# pair openings) and each settles the month from that public data alone. The
# three statements are byte-identical, every pair's credits are the rate
# cards applied to the jobs, and check-statement --recompute agrees at
# another site. Then a provider publishes a wrong (validly signed) opening:
# its pair is not settled and the provider is named; an edited statement is
# caught by recomputation, naming the pair.
#   test_public_settlement_cli.sh BASIN MAKE_USAGE FORGE_OPENING
set -euo pipefail
basin=$1 make_usage=$2 forge=$3
support="$(cd "$(dirname "${BASH_SOURCE[0]}")/../support" && pwd)"
source "$support/two_site_pool.sh" "$basin"
source "$support/exchange.sh"
add_lab_site
"$basin" pool add-account --name carol --home-site lab >/dev/null
sites="campus home lab"
P=2026-11

# Jobs (make_usage: 2 cores, 1000 MB, wall 60+j s): campus's inst1 runs 2 for
# bob (home) and 1 for carol (lab); home's vol1 runs 2 for alice (campus); lab's
# lab1 runs 1 for bob (home).
mkdir spool-campus spool-home spool-lab
"$make_usage" keys/inst1.key spool-campus 2 inst1 campus bob 1 sacct.txt
"$make_usage" keys/inst1.key spool-campus 1 inst1 campus carol 3 sacct.txt
"$make_usage" keys/vol1.key spool-home 2 vol1 home alice 10 sacct.txt
"$make_usage" keys/lab1.key spool-lab 1 lab1 lab bob 20 sacct.txt
ingest_and_issue

exchange_bundles $P 1 import-1.out
grep -q "signed openings stored" import-1.out || fail "no openings imported"
# Round 1 carried no cosignatures yet: settlement refuses unwitnessed logs.
set +e
"$basin" ledger --db home/ledger.sqlite settle --public --period $P --pool pool.toml \
  --site-key keys/home.sign.key --out early >early.out; rc=$?
set -e
[ $rc = 1 ] && grep -q "NOT SETTLED site campus not settled: .* witnessed by home; the pool needs 2" early.out ||
  { cat early.out; fail "unwitnessed log settled (rc $rc)"; }
exchange_bundles $P 2  # now each checkpoint travels with both witnesses' cosignatures

settle_everywhere $P
grep -q '"logs"' campus/statement.json || fail "statement names no logs"

# Credits are the rate cards applied to each job (wall = 60 + j s, 2 cores, 1000 MB).
pair_credits() {  # pair_credits PROVIDER CONSUMER
  python3 -c "
import json,sys
s=json.load(open('campus/statement.json'))
print([p['micro_credits'] for p in s['pairs'] if p['provider']=='$1' and p['consumer']=='$2'][0])"
}
[ "$(pair_credits campus home)" = $(($(credit campus 1) + $(credit campus 2))) ] || fail "campus -> home"
[ "$(pair_credits campus lab)" = "$(credit campus 3)" ] || fail "campus -> lab"
[ "$(pair_credits home campus)" = $(($(credit home 10) + $(credit home 11))) ] || fail "home -> campus"
[ "$(pair_credits lab home)" = "$(credit lab 20)" ] || fail "lab -> home"

# Anyone recomputes a statement from its own public data.
"$basin" ledger --db lab/ledger.sqlite check-statement campus/statement.json --pool pool.toml \
  --recompute | tee check.out
grep -q "identical" check.out || fail "recompute"
python3 - <<'PY'
import json
s = json.load(open("campus/statement.json"))
for p in s["pairs"]:
    if p["provider"] == "home":
        p["micro_credits"] += 1
open("edited.json", "w").write(json.dumps(s, indent=2) + "\n")
PY
cp campus/statement.json.sig edited.json.sig
set +e
"$basin" ledger --db lab/ledger.sqlite check-statement edited.json --pool pool.toml --recompute >edited.out; rc=$?
set -e
cat edited.out
[ $rc = 1 ] || fail "edited statement accepted"
grep -q "^BAD edited.json" edited.out || fail "edited statement's signature not refused"
grep -q "^DIFFERS pair home -> campus: micro_credits" edited.out || fail "edited pair not named"

# A hostile provider: lab's next bundle carries a validly signed opening that
# claims 1000 micro-credits more than its receipts commit to.
"$basin" ledger --db lab/ledger.sqlite export --pool pool.toml --site-key keys/lab.sign.key \
  --period $P --from 0 --out lab-honest.bundle >/dev/null
"$forge" lab-honest.bundle lab-forged.bundle pool.toml keys/lab.sign.key 1000
"$basin" ledger --db home/ledger.sqlite import --pool pool.toml --witness-key keys/home.witness.key \
  --cosigned-dir home/back lab-forged.bundle | tee forged-import.out
set +e
"$basin" ledger --db home/ledger.sqlite settle --public --period $P --pool pool.toml \
  --site-key keys/home.sign.key --out home/forged >forged.out; rc=$?
set -e
cat forged.out
[ $rc = 1 ] || fail "wrong opening settled"
python3 - <<'PY' || fail "wrong opening: pair not refused or provider not named"
import json
s = json.load(open("home/forged.json"))
bad = [p for p in s["pairs"] if p["provider"] == "lab"]
assert bad and not bad[0]["opened"], bad
assert "the opening of site lab does not match the sum" in bad[0]["problem"], bad
# The other pairs are still settled, and lab's claim is in no transfer.
assert all(p["opened"] for p in s["pairs"] if p["provider"] != "lab")
PY
echo PASS
