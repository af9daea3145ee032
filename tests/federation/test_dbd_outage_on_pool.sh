#!/usr/bin/env bash
# slurmdbd stopped during a job: the job completes, its usage records are
# written, slurmctld's own cache delivers the accounting rows once slurmdbd
# is back, and reconcile against sacct then reports 0 discrepancies.
source "$BASIN_SOURCE_DIR/tests/support/pool.sh"
admin="$(mktemp -d /tmp/basin-dbd-admin.XXXXXX)"
cd "$admin"
pool_toml "$admin"
"$BASIN" pool add-account --name physics --home-site campus --member root >/dev/null
pool_up --pool-file "$admin/pool.toml"

id="$(sbatch --parsable -A physics -w vol1 -o /dev/null --wrap 'srun sleep 12')"
for _ in $(seq 30); do [ "$(squeue -h -j "$id" -o %T)" = RUNNING ] && break; sleep 0.5; done
"$LOCAL_POOL" slurmdbd stop --dir "$POOL_DIR" 2>/dev/null
if timeout 10 sacctmgr -n show cluster >/dev/null 2>&1; then fail "slurmdbd still answers"; fi
pass "slurmdbd stopped while job $id runs"
[ "$(wait_job "$id" 120)" = COMPLETED ] || fail "job $id did not complete without slurmdbd"
for _ in $(seq 20); do
  [ -n "$(ls "$POOL_DIR/basin/vol1/spool" | grep "^$id\.batch\.")" ] && break; sleep 0.5
done
ls "$POOL_DIR/basin/vol1/spool" | grep -q "^$id\.batch\.r0\.vol1\.basinrec$" || fail "no batch record"
ls "$POOL_DIR/basin/vol1/spool" | grep -q "^$id\.0\.r0\.vol1\.basinrec$" || fail "no step record"
pass "the job completed and its records were written with slurmdbd down"
sleep 2
"$LOCAL_POOL" slurmdbd start --dir "$POOL_DIR" 2>/dev/null
# slurmctld resends what it kept (its agent queue) once slurmdbd is back,
# message by message: the job's row first reads COMPLETED with End=Unknown
# and its steps RUNNING. Export once every row is complete.
complete() {
  [ "$(grep -c "^$id[.|]" sacct.txt)" = 3 ] && ! grep "^$id[.|]" sacct.txt | grep -q "|Unknown|\||RUNNING|"
}
for _ in $(seq 90); do
  sacct -P --duplicates -a -S now-1hour \
    -o JobIDRaw,Cluster,Account,Submit,Start,End,State,AllocCPUS,ElapsedRaw >sacct.txt
  complete && break
  sleep 1
done
complete || fail "slurmdbd never got job $id's complete accounting: $(cat sacct.txt)"
grep -q "^$id|basin-local|physics|.*|COMPLETED|" sacct.txt || fail "$(cat sacct.txt)"
pass "slurmctld's cache delivered job $id's rows when slurmdbd returned"

L=("$BASIN" ledger --db "$admin/ledger.sqlite")
"${L[@]}" ingest "$POOL_DIR"/basin/*/spool --keys "$POOL_DIR/etc/node-keys" --pool pool.toml >/dev/null
"${L[@]}" issue --pool pool.toml --sacct sacct.txt --site-key keys/home.sign.key >issue.out ||
  fail "issue: $(cat issue.out)"
"${L[@]}" reconcile --period "$(date -u +%Y-%m)" --pool pool.toml --sacct sacct.txt >rec.out ||
  fail "reconcile: $(cat rec.out)"
grep -q "^matched jobs: 1$" rec.out && grep -q "^discrepancies: 0$" rec.out || fail "$(cat rec.out)"
pass "reconcile against sacct after the outage: 0 discrepancies"
rm -rf "$admin"
