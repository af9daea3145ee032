#!/usr/bin/env bash
# Volunteers enrolled by their site, on a pool whose nodes are hosts of their
# own (local-pool --hosts netns: one network namespace and address per node,
# every slurmd on the standard port):
#   - site home enrols three volunteer machines (basin pool enrol); each joins
#     from its own host (basin pool join: a Slurm dynamic node) and is idle;
#   - home revokes volb: its next job's record is refused by ingest, named;
#   - a checkpointing heat job starts on volc, which leaves cleanly (basin
#     pool leave: requeued, checkpoint on SIGTERM, node deleted); its next run
#     is on vola, whose host is then killed with SIGKILL, no goodbye: the
#     controller marks vola DOWN within its SlurmdTimeout, the job is requeued
#     again and finishes on vol1 with the digest of an uninterrupted run;
#   - the records show the runs that signed (volc's and vol1's); receipts
#     charge each node for what it signed; reconcile against Slurm's jobcomp
#     log reports 0 discrepancies (the killed run is explained, not missing).
source "$BASIN_SOURCE_DIR/tests/support/pool.sh"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
admin="$(mktemp -d /tmp/basin-volunteers.XXXXXX)"
cd "$admin"
# The pool runs without slurmdbd (quicker; reconcile reads the jobcomp log);
# pool.toml describes it with the keys local-pool gave its nodes.
pool_up --hosts netns --slurmd-timeout 10 --accounting-db no
pool_toml_with_node_keys "$admin"
"$BASIN" pool add-account --name physics --home-site home --member root >/dev/null
"$BASIN" pool enrolment-keygen --site home --secret "$admin/keys/home.enrol.key" >/dev/null ||
  fail "enrolment-keygen"
grep -q "enrolment_key" pool.toml || fail "enrolment-keygen did not record home's enrolment key"
grep -q "^NodeAddr=\|NodeAddr=10\." "$POOL_DIR/etc/slurm.conf" || fail "nodes not on hosts of their own"
pass "pool up: every node a host of its own ($(scontrol show node vol1 | grep -o 'NodeAddr=[^ ]*'))"

# --- three volunteers enrol and join ----------------------------------------
mkdir -p enrolled
for v in vola volb volc; do
  mkdir -p "$admin/$v" && chmod 700 "$admin/$v"
  "$BASIN" records keygen --node "$v" --secret "$admin/$v/$v.key" --public "$admin/$v.pub" >/dev/null
  "$BASIN" pool enrol --site home --site-secret "$admin/keys/home.enrol.key" --node "$v" \
    --node-public "$admin/$v.pub" --cpus 2 --memory-mb 2000 --valid 2h \
    --out "enrolled/$v.cert" >/dev/null || fail "enrol $v"
  addr="$("$LOCAL_POOL" host add "$v" --dir "$POOL_DIR")" || fail "host add $v"
  "$LOCAL_POOL" host exec "$v" --dir "$POOL_DIR" -- "$BASIN" pool --file "$admin/pool.toml" join \
    --cert "enrolled/$v.cert" --state-dir "$admin/$v" --slurm-conf "$SLURM_CONF" \
    --plugin "$BASIN_BUILD_DIR/plugin/basin_spank.so" --munge-socket "$POOL_DIR/munge/$v.socket" \
    >"$v.join" || fail "join $v: $(cat "$v.join")"
  grep -q "node $v joined pool .* at $addr; idle" "$v.join" || fail "join $v: $(cat "$v.join")"
done
sinfo -h -N -o '%N %t %f' | grep -q "^vola idle dynamic,tier_volunteer,site_home" ||
  fail "vola not idle as a dynamic volunteer: $(sinfo -N -o '%N %t %f')"
pass "three volunteers enrolled and joined from their own hosts: $(cat vola.join)"

# --- volb revoked: its next record is refused ------------------------------
"$BASIN" pool revoke --site home --site-secret "$admin/keys/home.enrol.key" --node volb \
  --serial "$(sed -n 's/^serial=//p' enrolled/volb.cert)" --reason "owner reported it stolen" \
  --list enrolled/home.revocations >/dev/null || fail "revoke volb"
sleep 1.1  # a record that ends in the second of the revocation is refused too; be clear of it
id_b="$(sbatch --parsable -A physics -w volb -o "$admin/%j.out" --wrap 'srun true')"
[ "$(wait_job "$id_b" 60)" = COMPLETED ] || fail "job $id_b on volb"

# --- one job: volc leaves, vola is killed, vol1 finishes ---------------------
N=64 SIM_TIME=24000   # 7-60 s on 2 cores; each run is interrupted after a fifth of that
mpirun -n 2 --oversubscribe --bind-to none "$BASIN" run heat --set nx=$N --set ny=$N --set nz=$N \
  --set sim_time=$SIM_TIME --digest-file ref.d >ref.log || fail "reference run"
ref="$(cat ref.d)"
mkdir -m 777 ckpt
# Only the dynamic nodes that are not volb at first; vol1 is added after vola dies.
id="$(sbatch --parsable -A physics -C dynamic -x volb --chdir="$admin" \
  --basin-checkpoint="$admin/ckpt" \
  --export=ALL,BASIN="$BASIN",N=$N,SIM_TIME=$SIM_TIME,CHECKPOINT_EVERY=1 \
  "$BASIN_SOURCE_DIR/examples/heat.sbatch")"
log="$admin/heat-$id.out"
on_node() { squeue -h -j "$id" -o %N; }
for _ in $(seq 120); do grep -q "heat: step" "$log" 2>/dev/null && break; sleep 0.5; done
first="$(on_node)"
[ "$first" = vola ] || [ "$first" = volc ] || fail "job $id runs on '$first'"
# The node it runs on leaves cleanly; the other volunteer is where it goes next.
other=vola; [ "$first" = vola ] && other=volc
wait_progress "$log" 1 15 || fail "job $id does not progress: $(cat "$log")"
"$BASIN" pool leave --state-dir "$admin/$first" >"$first.leave" || fail "leave $first: $(cat "$first.leave")"
grep -q "node $first left the pool: 1 job(s) requeued" "$first.leave" || fail "leave: $(cat "$first.leave")"
sinfo -h -N -o %N | grep -qx "$first" && fail "$first still in sinfo after leave"
pass "$first left cleanly: $(cat "$first.leave")"
release_requeued "$id"
for _ in $(seq 120); do [ "$(on_node)" = "$other" ] && grep -c "heat: step" "$log" | grep -qv '^0$' && break; sleep 0.5; done
[ "$(on_node)" = "$other" ] || fail "job $id did not move to $other: $(on_node)"
# Far enough into run 2 that it has written periodic checkpoints (every
# second) since it continued from run 1's.
wait_progress "$log" 2 60 || fail "run 2 of job $id does not progress: $(cat "$log")"
# SIGKILL everything on the volunteer's host: slurmd, slurmstepd, the ranks.
killed_at=$SECONDS
"$LOCAL_POOL" host kill "$other" --dir "$POOL_DIR" || fail "host kill $other"
for _ in $(seq 120); do
  sinfo -h -N -n "$other" -o %t | grep -q down && break
  sleep 0.5
done
down_s=$((SECONDS - killed_at))
sinfo -h -N -n "$other" -o %t | grep -q down || fail "$other not DOWN $((SECONDS - killed_at)) s after SIGKILL"
pass "$other SIGKILLed: DOWN in the controller after ${down_s} s (SlurmdTimeout 10)"
# Now the static volunteers may take it: any volunteer node but the revoked and the dead one.
scontrol update jobid="$id" Features=tier_volunteer ExcNodeList=volb,"$other" ||
  fail "could not widen job $id to the static volunteers"
release_requeued "$id"
state="$(wait_job "$id" 240)"
[ "$state" = COMPLETED ] || fail "job $id ended $state: $(cat "$log")"
got="$(sed -n 's/.*result digest \(blake2b-256:[0-9a-f]*\).*/\1/p' "$log" | tail -1)"
[ "$got" = "$ref" ] || fail "digest after leave + SIGKILL $got != uninterrupted $ref"
[ "$(grep -c "continuing from the checkpoint" "$log")" -ge 2 ] || fail "not restarted twice: $(cat "$log")"
pass "job $id: $first left, $other killed, finished on $(sacct -n -X -j "$id" -o NodeList | tail -1 | tr -d ' ') with the uninterrupted digest"

# --- the books: records of the runs that signed, volb refused ----------------
spools=("$POOL_DIR"/basin/*/spool "$admin"/vol[abc]/spool)
for _ in $(seq 40); do
  ls "${spools[@]}" 2>/dev/null | grep -q "^$id_b\.batch\." && break
  sleep 0.5
done
set +e
"$BASIN" ledger --db ledger.sqlite ingest "${spools[@]}" --keys "$POOL_DIR/etc/node-keys" \
  --pool pool.toml >ingest.out 2>&1
rc=$?
set -e
cat ingest.out
[ $rc = 1 ] || fail "ingest should exit 1 (volb's record refused), exit $rc"
grep -E "(rejected|quarantined) .*$id_b.*volb.*revoked" ingest.out ||
  fail "volb's record after its revocation not refused by name: $(cat ingest.out)"
! grep -E "^(rejected|quarantined)" ingest.out | grep -v "node volb's enrolment .* was revoked" ||
  fail "a record other than volb's was refused"
ls "$admin/$first/spool" | grep -q "^$id\.batch\." || fail "no record of the run on $first (it left cleanly)"
ls "$POOL_DIR/basin/vol1/spool" | grep -q "^$id\.batch\." || fail "no record of the final run on vol1"
ls "$admin/$other/spool" | grep -q "^$id\." && fail "a record of the run on SIGKILLed $other?"
pass "ingest: volb's record after revocation refused by name; the runs on $first and vol1 recorded, none from killed $other"

for site in campus home; do
  "$BASIN" ledger --db ledger.sqlite issue --pool pool.toml --jobcomp "$POOL_DIR/log/jobcomp.txt" \
    --site-key "keys/$site.sign.key" >>issue.out || fail "issue ($site): $(cat issue.out)"
done
set +e
# The job's final run lasts a few seconds on 2 CPUs; Slurm's elapsed time
# includes launching the batch step (1-2 s on a loaded machine), the node's
# records do not: allow 3 s on each of the 2 CPUs instead of the default 2
# core-seconds (a real month's jobs are long enough for the 2 % tolerance).
"$BASIN" ledger --db ledger.sqlite reconcile --period "$(date -u +%Y-%m)" --pool pool.toml \
  --jobcomp "$POOL_DIR/log/jobcomp.txt" --absolute-tolerance 6 >reconcile.out 2>&1
rc=$?
set -e
cat reconcile.out
grep -q "^discrepancies: 0$" reconcile.out || fail "reconcile: discrepancies (exit $rc)"
grep -q "^note requeued_run .* job $id .*NODE_FAIL" reconcile.out || fail "the killed run is not explained"
# (A job shorter than Slurm's one-second resolution is "never ran" already.)
grep -Eq "^note no_receipt .* job $id_b .*(refused at ingest.*revoked|never ran)" reconcile.out ||
  fail "volb's job is not explained by its refused records"
pass "receipts for what each node signed; reconcile against jobcomp: 0 discrepancies (the killed run and volb's refused job explained)"
cd /
rm -rf "$admin"
