#!/bin/bash
# Keys with one job each, rotating with validity windows. A site's signing key
# signs; its blinding secrets (<site>.blind.key, apart from the signing key)
# derive every receipt's blindings and job reference. `basin pool rotate-key`
# gives the site a new signing key and a new blinding secret for later
# periods: receipts signed with the old key keep verifying for the months it
# was valid, late records of those months are signed with the new key, and
# the old periods still open and settle. A key past its window (expired) or
# revoked is refused by name; the old secret key can no longer act as the site.
#   test_key_rotation_cli.sh BASIN MAKE_USAGE
set -euo pipefail
basin=$1 make_usage=$2
source "$(dirname "${BASH_SOURCE[0]}")/../support/two_site_pool.sh" "$basin"
L="$basin ledger --db ledger.sqlite"

# add-site wrote the blinding secrets, owner-only, in their own format.
[ "$(stat -c %a keys/campus.blind.key)" = 600 ] || fail "keys/campus.blind.key is not mode 600"
grep -Eq "^basin-blinding-secret 1970-01 [0-9a-f]{64}$" keys/campus.blind.key ||
  fail "blinding key format: $(sed 's/[0-9a-f]\{64\}/<hex>/' keys/campus.blind.key)"
chmod 640 keys/campus.blind.key
mkdir s1 s2
"$make_usage" keys/inst1.key s1 2 inst1 campus bob 1 sacct.txt
$L ingest s1 --keys node-keys --pool pool.toml >/dev/null
set +e
$L issue --pool pool.toml --sacct sacct.txt --site-key keys/campus.sign.key >loose.out 2>&1
rc=$?
set -e
[ $rc != 0 ] && grep -q "chmod 600 keys/campus.blind.key" loose.out ||
  fail "a group-readable blinding key was used: $(cat loose.out)"
chmod 600 keys/campus.blind.key
$L issue --pool pool.toml --sacct sacct.txt --site-key keys/campus.sign.key >/dev/null
echo "ok: the blinding secrets are a file of their own, refused when others can read it"

old_key=$(python3 -c "import tomllib; print([s for s in tomllib.load(open('pool.toml','rb'))['site'] if s['name']=='campus'][0]['signing_key'])")
month=$(date -u +%Y-%m)
next=$(date -u -d "$(date -u +%Y-%m-01) +1 month" +%Y-%m)
"$basin" pool rotate-key --site campus | tee rotate.out
[ -f "keys/campus.sign.key.until-$month" ] || fail "the old key was not kept"
[ "$(stat -c %a "keys/campus.sign.key.until-$month")" = 600 ] || fail "old key mode"
python3 - "$old_key" "$month" <<'PY' || fail "pool.toml after rotate-key: $(cat pool.toml)"
import sys, tomllib
campus = [s for s in tomllib.load(open("pool.toml", "rb"))["site"] if s["name"] == "campus"][0]
assert campus["signing_key"] != sys.argv[1]
assert campus["previous_keys"] == [{"public_key": sys.argv[1], "until": sys.argv[2]}], campus
PY
grep -q "^basin-blinding-secret $next [0-9a-f]\{64\}$" keys/campus.blind.key ||
  fail "no new blinding secret from $next"
[ "$(grep -c ^basin-blinding-secret keys/campus.blind.key)" = 2 ] || fail "earlier secret lost"

# A late record of the same month, signed with the new key; both verify.
"$make_usage" keys/inst1.key s2 1 inst1 campus bob 3 sacct.txt
$L ingest s2 --keys node-keys --pool pool.toml >/dev/null
$L issue --pool pool.toml --sacct sacct.txt --site-key keys/campus.sign.key | tee issue2.out
grep -q "^1 receipts issued for site campus" issue2.out || fail "issue after rotation"
$L verify --pool pool.toml --batch | tee verify.out
grep -q "3 receipts checked (batch) in 1 logs: all good" verify.out ||
  fail "receipts of the old key do not verify after the rotation"
# The period opens and settles with the new key and the kept secret; the
# statement checks under the new key. campus -> home (bob): 40*2*(60+j) + (60+j).
expect=$(( (40*2*61 + 61) + (40*2*62 + 62) + (40*2*63 + 63) ))
$L settle --period 2026-11 --pool pool.toml --site-key keys/campus.sign.key --out st >settle.out ||
  { cat settle.out; fail "settle after rotation"; }
grep -Eq "^campus +home +3 +0.$(printf %06d $expect)  checked$" settle.out ||
  fail "campus -> home after rotation: $(cat settle.out)"
$L check-statement st.json --pool pool.toml | grep -q "signature good" || fail "statement"
echo "ok: after rotate-key old receipts verify, late ones use the new key, the period settles"

# The old secret key no longer acts as the site.
set +e
$L settle --period 2026-11 --pool pool.toml --site-key "keys/campus.sign.key.until-$month" \
  --blinding-key keys/campus.blind.key --out old >old.out 2>&1
rc=$?
set -e
[ $rc != 0 ] && grep -q "is no site's signing_key" old.out || fail "the old key settled: $(cat old.out)"

# Expired: the key's window ends before the receipts' month.
cp pool.toml rotated.toml
sed -i "s/^until = .$month.\$/until = '2026-10'/" pool.toml
grep -q "^until = '2026-10'$" pool.toml || fail "could not edit the key's window: $(cat pool.toml)"
set +e
$L verify --pool pool.toml --batch >expired.out
rc=$?
set -e
[ $rc = 1 ] || fail "receipts of an expired key verified: $(cat expired.out)"
[ "$(grep -c "signed with a key of site 'campus' that expired after 2026-10 (a receipt of 2026-11)" expired.out)" = 2 ] ||
  fail "the two receipts of the expired key are not named: $(cat expired.out)"
grep -q "2 problems\|BAD" expired.out || fail "verify summary: $(cat expired.out)"
cp rotated.toml pool.toml

# Revoked: from 2026-11 on, its receipts are refused; earlier windows are not.
"$basin" pool revoke-key --site campus --key "$old_key" --from 2026-11 | tee revoke.out
grep -q "^revoked_from = .2026-11.$" pool.toml || fail "revoked_from not written"
set +e
$L verify --pool pool.toml --batch >revoked.out
rc=$?
$L settle --period 2026-11 --pool pool.toml --site-key keys/campus.sign.key --out rv >rv.out
src=$?
set -e
[ $rc = 1 ] && [ "$(grep -c "signed with a key of site 'campus' revoked from 2026-11" revoked.out)" = 2 ] ||
  fail "receipts of a revoked key: $(cat revoked.out)"
[ $src = 1 ] && [ "$(grep -c "^EXCLUDED .*revoked from 2026-11" rv.out)" = 2 ] ||
  fail "settle counted receipts of a revoked key: $(cat rv.out)"
grep -Eq "^campus +home +1 +0.$(printf %06d $((40*2*63 + 63)))  checked$" rv.out ||
  fail "the new key's receipt alone: $(cat rv.out)"
set +e
"$basin" pool revoke-key --site campus --key "$(python3 -c "import tomllib; print([s for s in tomllib.load(open('pool.toml','rb'))['site'] if s['name']=='campus'][0]['signing_key'])")" \
  --from 2026-11 >cur.out 2>&1
rc=$?
set -e
[ $rc != 0 ] && grep -q "rotate-key. first" cur.out || fail "the current key was revoked: $(cat cur.out)"
echo "ok: an expired and a revoked key are refused by name; the current key cannot be revoked"
echo PASS
