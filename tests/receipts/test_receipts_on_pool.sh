#!/usr/bin/env bash
# Receipts end to end on a real local pool: jobs on every node -> the nodes'
# signed usage records -> ingest -> each site issues receipts into its log ->
# verify (single and batch): all good; the account holder opens its own.
# Then a tampered receipt and a forged record are found and named.
source "$BASIN_SOURCE_DIR/tests/support/pool.sh"
pool_up
cd "$POOL_DIR"
spools=("$POOL_DIR"/basin/*/spool)

# pool.toml for the local pool: the two sites get signing keys, two accounts
# get box keys, and the nodes keep the keys local-pool gave them.
"$BASIN" pool init --name local --cluster basin-local >/dev/null
"$BASIN" pool add-site --name campus --tier institutional --core-second 40 --wall-second 1 >/dev/null
"$BASIN" pool add-site --name home --tier volunteer --core-second 10 --mem-mb-second 1 >/dev/null
"$BASIN" pool add-account --name climate-lab --home-site campus --member root >/dev/null
"$BASIN" pool add-account --name physics --home-site home --member root >/dev/null
while read -r node key; do
  case "$node" in inst*) site=campus ;; *) site=home ;; esac
  printf "\n[[node]]\nname = '%s'\nsite = '%s'\npublic_key = '%s'\ncpus = 2\nmemory_mb = 2000\n" \
    "$node" "$site" "${key#ed25519:}" >>pool.toml
done < <(grep -v '^#' etc/node-keys)
"$BASIN" pool check >/dev/null || fail "pool.toml for the local pool does not validate"
# Slurm's accounts from it (slurmdbd): root may charge both.
"$BASIN" pool sync-accounts >sync.out || { cat sync.out; fail "sync-accounts"; }

# Jobs on every node, for two accounts.
ids=()
for spec in "inst1 climate-lab" "vol1 physics" "vol2 climate-lab" "inst1 physics"; do
  set -- $spec
  ids+=("$(sbatch --parsable -o /dev/null -w "$1" -A "$2" --mem=200 \
    --wrap 'srun sh -c "i=0; while [ \$i -lt 50000 ]; do i=\$((i+1)); done"')")
done
for id in "${ids[@]}"; do
  [ "$(wait_job "$id")" = COMPLETED ] || fail "job $id did not complete"
done
# Each job leaves a batch and a step-0 record on its node; wait for all.
for _ in $(seq 40); do
  [ "$(ls "${spools[@]}" | grep -c '\.basinrec$')" -ge $((2 * ${#ids[@]})) ] && break
  sleep 0.5
done
nrec="$(ls "${spools[@]}" | grep -c '\.basinrec$')"
[ "$nrec" -ge $((2 * ${#ids[@]})) ] || fail "only $nrec records for ${#ids[@]} jobs"
pass "${#ids[@]} jobs left $nrec signed usage records"

L="$BASIN ledger --db $POOL_DIR/ledger.sqlite"
$L ingest "${spools[@]}" --keys etc/node-keys --pool pool.toml >ingest.out || { cat ingest.out; fail "ingest"; }
# The account charged is Slurm's: its accounting database, once it shows
# every job ended.
for _ in $(seq 60); do
  sacct -n -P --duplicates -a -X -o JobIDRaw,Cluster,Account,Submit,Start,End,State,AllocCPUS,ElapsedRaw \
    -j "$(IFS=,; echo "${ids[*]}")" >jobs.txt
  [ "$(grep -c '|COMPLETED|' jobs.txt)" -eq ${#ids[@]} ] && break
  sleep 0.5
done
sacct -P --duplicates -a -X -o JobIDRaw,Cluster,Account,Submit,Start,End,State,AllocCPUS,ElapsedRaw \
  -j "$(IFS=,; echo "${ids[*]}")" >jobs.txt
$L issue --pool pool.toml --sacct jobs.txt --site-key keys/campus.sign.key >issue-campus.out ||
  { cat issue-campus.out; fail "campus issue"; }
$L issue --pool pool.toml --sacct jobs.txt --site-key keys/home.sign.key >issue-home.out ||
  { cat issue-home.out; fail "home issue"; }
issued=$(( $(cut -d' ' -f1 issue-campus.out) + $(cut -d' ' -f1 issue-home.out) ))
[ "$issued" = "$nrec" ] || fail "$issued receipts for $nrec records"
pass "each site issued receipts for its own records ($issued in all) into its log"

$L verify --pool pool.toml >verify.out || { cat verify.out; fail "verify"; }
grep -q "$nrec receipts checked in 2 logs: all good" verify.out || fail "$(cat verify.out)"
$L verify --pool pool.toml --batch >verify-batch.out || { cat verify-batch.out; fail "verify --batch"; }
pass "every receipt and both logs verify, one by one and in a batch"

$L open --account-key keys/physics.box.key --pool pool.toml >open.out || { cat open.out; fail "open"; }
grep -q "^4 receipts of this account" open.out || fail "physics should own 4 receipts: $(cat open.out)"
# The opened wall seconds agree with the record the node signed.
grep -E "^[0-9]+ +basin-local/${ids[1]}\.0/r0/vol1 " open.out >/dev/null ||
  fail "physics does not see its vol1 step: $(cat open.out)"
$L open --account-key keys/climate-lab.box.key >open2.out
grep -q "^4 receipts of this account" open2.out || fail "climate-lab: $(cat open2.out)"
pass "each account opens exactly its own receipts"

# A tampered receipt: one byte of a home receipt's proof changed in the ledger.
victim="$(sqlite3 ledger.sqlite "SELECT rec.identity || ' ' || r.leaf_index FROM receipts r JOIN records rec ON rec.id = r.record_id WHERE r.origin = 'local/home/receipts' ORDER BY r.leaf_index LIMIT 1 OFFSET 1")"
set -- $victim
sqlite3 ledger.sqlite "UPDATE log_leaves SET data = substr(data,1,500) || (CASE WHEN substr(data,501,1) = x'00' THEN x'01' ELSE x'00' END) || substr(data,502) WHERE origin = 'local/home/receipts' AND leaf_index = $2"
set +e
$L verify --pool pool.toml --batch >tampered.out
rc=$?
set -e
[ $rc = 1 ] || fail "tampered receipt passed verification"
grep -q "^BAD receipt $2 ($1)" tampered.out || fail "tampered receipt not named: $(cat tampered.out)"
[ "$(grep -c '^BAD receipt' tampered.out)" = 1 ] || fail "good receipts reported bad: $(cat tampered.out)"
pass "a tampered receipt is found and named ($1)"

# A forged record: vol1 (a volunteer) writes a record claiming to be inst1 of
# campus, signed with its own key.
good="$(ls "$POOL_DIR"/basin/inst1/spool/*.basinrec | head -n1)"
mkdir -p forged
python3_forge() {
  /usr/bin/python3 - "$good" "$POOL_DIR/basin/vol1/node.key" forged/forged.basinrec <<'PY'
import sys, nacl.signing
src, keyfile, out = sys.argv[1:]
data = open(src, 'rb').read()
seed = bytes.fromhex(open(keyfile).read().strip().split(':', 1)[1])
body = data[:-64]
# raise the job id by 1000 so it is a "new" record, then re-sign with vol1's key
plen = int.from_bytes(body[10:14], 'little')
payload = bytearray(body[14:14 + plen])
cl = int.from_bytes(payload[2:4], 'little')
jid = int.from_bytes(payload[4 + cl:8 + cl], 'little') + 1000
payload[4 + cl:8 + cl] = jid.to_bytes(4, 'little')
body = body[:14] + bytes(payload)
sig = nacl.signing.SigningKey(seed).sign(b"basin/usage-record/v1\n" + body).signature
open(out, 'wb').write(body + sig)
PY
}
python3_forge
set +e
$L ingest forged --keys etc/node-keys --pool pool.toml >forged.out
rc=$?
set -e
[ $rc = 1 ] || fail "forged record accepted: $(cat forged.out)"
grep -q "^rejected forged/forged.basinrec: .*not signed by node 'inst1'" forged.out || fail "forged record not named: $(cat forged.out)"
pass "a record forged by another node is refused and named"
