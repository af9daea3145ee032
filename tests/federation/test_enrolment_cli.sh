#!/bin/bash
# Volunteer nodes enrolled by their site (basin pool enrolment-keygen, enrol,
# revoke, enrolments): their records are ingested with the keys from their
# certificates, a record made after a revocation or after the certificate's
# not_after is quarantined naming the node, serial, site and date, records
# made before a revocation are kept and flagged, and a certificate edited by
# one byte stops load_pool naming the file.
#   test_enrolment_cli.sh BASIN MAKE_USAGE
basin=$1 make_usage=$2
source "$(dirname "${BASH_SOURCE[0]}")/../support/two_site_pool.sh" "$basin"
B=$basin
L="$B ledger --db ledger.sqlite"

$B pool enrolment-keygen --site home --secret keys/home.enrol.key | tee keygen.out
grep -Eq '^enrolment_key = "[0-9a-f]{64}"$' keygen.out || fail "keygen prints the pool.toml line"
grep -q '^enrolment_key = ' pool.toml || fail "enrolment_key written to pool.toml"
if $B pool enrolment-keygen --site home --secret keys/other.key 2>err.out; then
  fail "a second enrolment key"
fi
grep -q "already has an enrolment_key" err.out || fail "$(cat err.out)"

mkdir enrolled
$B records keygen --node vol3 --secret keys/vol3.key --public vol3.pub 2>/dev/null
$B records keygen --node vol4 --secret keys/vol4.key --public vol4.pub 2>/dev/null
# vol3: 2026-11-01 + 60 days (serial 1); vol4: 2026-11-01 + 20 days, to
# 2026-11-21T00:00:00Z (serial 2).
$B pool enrol --site home --site-secret keys/home.enrol.key --node vol3 --node-public vol3.pub \
  --cpus 2 --memory-mb 2000 --valid 60d --not-before 2026-11-01T00:00:00Z \
  --out enrolled/vol3.cert | tee enrol.out
grep -q "enrolled node vol3 of site home (serial 1, volunteer" enrol.out || fail "enrol vol3"
$B pool enrol --site home --site-secret keys/home.enrol.key --node vol4 \
  --public-key "$(sed 's/.*ed25519://' vol4.pub)" --cpus 2 --memory-mb 2000 --valid 20d \
  --not-before 2026-11-01T00:00:00Z --out enrolled/vol4.cert >/dev/null
grep -q '^serial=2$' enrolled/vol4.cert || fail "serials count up"
if $B pool enrol --site home --site-secret keys/home.sign.key --node vol5 --public-key \
  "$(sed 's/.*ed25519://' vol4.pub)" --cpus 2 --memory-mb 2000 --out enrolled/vol5.cert 2>err.out; then
  fail "enrolled with the site's signing key"
fi
grep -q "is not site home's enrolment_key" err.out || fail "$(cat err.out)"
if $B pool enrol --site home --site-secret keys/home.enrol.key --node vol1 --public-key \
  "$(sed 's/.*ed25519://' vol4.pub)" --cpus 2 --memory-mb 2000 --out x.cert 2>err.out; then
  fail "enrolled a node pool.toml lists"
fi
grep -q "node vol1 is a \[\[node\]\]" err.out || fail "$(cat err.out)"

$B pool check | grep -q "(2 sites, 4 nodes, 2 accounts)" || fail "pool check counts enrolled nodes"
$B pool render-slurm >slurm.out
grep -q "^NodeName=vol3" slurm.out && fail "an enrolled node rendered as a static NodeName"
grep -q "^# vol3 is enrolled" slurm.out || fail "render-slurm names the enrolled node"
# A pool verb rewrites pool.toml: enrolled nodes stay in their files.
$B pool add-account --name carol --home-site home >/dev/null
grep -q vol3 pool.toml && fail "enrolled node written into pool.toml"

# Records of both, made 2026-11-18: accepted, keys from the certificates
# (node-keys has only inst1 and vol1).
mkdir spool
"$make_usage" keys/vol3.key spool 2 vol3 home bob 1
"$make_usage" keys/vol4.key spool 2 vol4 home bob 10
"$make_usage" keys/vol1.key spool 1 vol1 home bob 20
$L ingest spool --keys node-keys --pool pool.toml | tee ingest1.out
grep -q "^5 added, 0 already in the ledger, 0 in conflict, 0 rejected, 0 quarantined" ingest1.out ||
  fail "enrolled nodes' records accepted"
# Without --keys: every node's key from the pool.
$L ingest spool --pool pool.toml | grep -q "^0 added, 5 already in the ledger" || fail "no --keys"

# vol3 lost: revoked from 2026-11-25.
$B pool revoke --site home --site-secret keys/home.enrol.key --node vol3 --serial 1 \
  --reason "lost laptop" --at 2026-11-25T00:00:00Z --list enrolled/home.revocations | tee revoke.out
grep -q "sequence 1, 1 revocations" revoke.out || fail "revoke"
# The revoked machine is refused at join, before anything is written or started.
mkdir state3
if $B pool --file pool.toml join --cert enrolled/vol3.cert --state-dir "$PWD/state3" \
  --slurm-conf /dev/null 2>join.err; then
  fail "a revoked certificate joined"
fi
grep -q "node vol3 (site home, serial 1) was revoked at 2026-11-25T00:00:00Z (reason: lost laptop)" \
  join.err || fail "join names the revocation: $(cat join.err)"
[ -z "$(ls -A state3)" ] || fail "a refused join wrote into its state directory"
$B pool enrolments | tee enrolments.out
grep -Eq "^vol3 +home +volunteer +1 .*revoked at 2026-11-25T00:00:00Z \(reason: lost laptop\)" \
  enrolments.out || fail "enrolments shows the revocation"
grep -Eq "^vol4 +home +volunteer +2 +2026-11-01T00:00:00Z +2026-11-21T00:00:00Z +expired" \
  enrolments.out || fail "enrolments shows vol4 expired"

# A newer record of vol3 (2026-11-28): refused, naming node, serial, site, date.
mkdir spool2
MAKE_USAGE_SHIFT=864000 "$make_usage" keys/vol3.key spool2 1 vol3 home bob 3
# A record of vol4 after its not_after (2026-11-23).
MAKE_USAGE_SHIFT=432000 "$make_usage" keys/vol4.key spool2 1 vol4 home bob 12
set +e
$L ingest spool2 --pool pool.toml >ingest2.out
rc=$?
set -e
cat ingest2.out
[ $rc = 1 ] || fail "ingest of refused records exits 1"
grep -q "quarantined .*vol3.*node vol3's enrolment (site home, serial 1) was revoked at 2026-11-25T00:00:00Z (reason: lost laptop); this record ends at 2026-11-28T.*after that: refused" \
  ingest2.out || fail "the revoked node's newer record is refused naming it"
grep -q "quarantined .*vol4.*node vol4's enrolment (site home, serial 2) expired at 2026-11-21T00:00:00Z" \
  ingest2.out || fail "a record after not_after is refused"

# The older records of vol3 are kept and flagged.
$L validate --pool pool.toml | tee validate.out
[ "$(grep -c "^finding made_before_revocation .*made by node vol3 before its revocation at 2026-11-25T00:00:00Z (site home, serial 1, reason: lost laptop)" validate.out)" = 2 ] ||
  fail "validate flags the revoked node's older records"
$L show --pool pool.toml | grep -c "^flagged .*made by node vol3 before its revocation" |
  grep -qx 2 || fail "show flags them"

# A revocation of vol4 dated before records already stored: a finding.
$B pool revoke --site home --site-secret keys/home.enrol.key --node vol4 --serial 2 \
  --reason "owner left" --at 2026-11-10T00:00:00Z --list enrolled/home.revocations |
  grep -q "sequence 2, 2 revocations" || fail "second revocation"
set +e
$L validate --pool pool.toml >validate2.out
rc=$?
set -e
[ $rc = 1 ] || fail "records outside their enrolment make validate exit 1"
grep -q "^finding outside_enrolment .*node vol4's enrolment (site home, serial 2) was revoked" \
  validate2.out || fail "$(cat validate2.out)"

# One byte of a certificate changed: load_pool refuses, naming the file.
cp enrolled/vol3.cert vol3.cert.good
sed -i 's/^cpus=2$/cpus=3/' enrolled/vol3.cert
if $B pool check 2>err.out; then fail "an edited certificate loaded"; fi
grep -q "enrolled/vol3.cert: the signature does not verify with site home's enrolment_key" err.out ||
  fail "$(cat err.out)"
cp vol3.cert.good enrolled/vol3.cert
# The revocation list, edited: refused too.
sed -i 's/lost laptop/lost labtop/' enrolled/home.revocations
if $B pool check 2>err.out; then fail "an edited revocation list loaded"; fi
grep -q "home.revocations: the signature does not verify" err.out || fail "$(cat err.out)"
echo "ok: enrolled nodes' records accepted, refused after revocation or expiry, flagged before"
