#!/usr/bin/env bash
# Basin's SPANK plugin on a real local pool: options reach the tasks, the tier
# policy refuses only the job, bad values never reach the queue, and every
# step on every node leaves a signed usage record (also for timed-out and
# requeued jobs) that verifies, while a tampered one does not.
source "$BASIN_SOURCE_DIR/tests/support/pool.sh"
pool_up
keys="$POOL_DIR/etc/node-keys"
spools=("$POOL_DIR"/basin/*/spool)
records() { "$BASIN" records show --json "${spools[@]}"; }
# record_field JOB STEP NODE FIELD
record_field() {
  records | /usr/bin/python3 -c '
import json, sys
job, step, node, field = sys.argv[1:]
for line in sys.stdin:
    r = json.loads(line)
    if str(r["job_id"]) == job and r["step"] == step and r["node"] == node:
        print(r[field]); break' "$@"
}
wait_record() {  # wait_record JOB STEP NODE: records are written as steps end
  for _ in $(seq 30); do [ -n "$(record_field "$@" node)" ] && return 0; sleep 0.5; done
  fail "no record for job $1 step $2 on $3"
}

# A job that runs into its time limit (1 minute): started first, checked last.
timeout_job="$(sbatch --parsable -o /dev/null -t 1 -w vol2 --basin-tier=volunteer --wrap 'srun sleep 600')"

# 1. Options in #SBATCH lines and on srun reach the tasks' environment.
cat >"$POOL_DIR/env.sbatch" <<'JOB'
#!/bin/bash
#SBATCH -N1 -n1 -w vol1 -J replica-demo
#SBATCH --basin-tier=volunteer -A basin-default --basin-replicas=3 --basin-checkpoint
env | grep '^BASIN_' | sort > "$SLURM_SUBMIT_DIR/batch.env"
srun sh -c 'env | grep "^BASIN_" | sort > "$SLURM_SUBMIT_DIR/step.env";
  printf "sha256:%064x\n" 7 > "$BASIN_CHECKPOINT_DIR/basin-result-digest"'
JOB
id="$(cd "$POOL_DIR" && sbatch --parsable -o "$POOL_DIR/env.out" "$POOL_DIR/env.sbatch")"
[ "$(wait_job "$id")" = COMPLETED ] || { cat "$POOL_DIR/env.out"; fail "options job $id did not complete"; }
for want in BASIN_TIER=volunteer BASIN_SITE=home BASIN_NODE=vol1 BASIN_ACCOUNT=basin-default \
  BASIN_REPLICAS=3 BASIN_REPLICA_GROUP=basin-local:0:replica-demo \
  "BASIN_CHECKPOINT_DIR=$POOL_DIR/basin/vol1/scratch/0/$id" BASIN_THREADS=1; do
  grep -qxF "$want" "$POOL_DIR/batch.env" || fail "batch step lacks $want: $(cat "$POOL_DIR/batch.env")"
done
# The account is Slurm's (-A; local-pool's basin-default), in every step.
grep -qx 'BASIN_ACCOUNT=basin-default' "$POOL_DIR/step.env" || fail "srun step lost Slurm's account"
grep -qx 'BASIN_REPLICAS=3' "$POOL_DIR/step.env" || fail "srun step lost #SBATCH --basin-replicas"
pass "#SBATCH and srun --basin-* options reach the tasks' environment"
wait_record "$id" 0 vol1
[ "$(record_field "$id" 0 vol1 result_digest)" = "sha256:$(printf '%064x' 7)" ] ||
  fail "the step's result digest was not recorded"
[ "$(record_field "$id" 0 vol1 account)" = basin-default ] || fail "record has the wrong account"
pass "the runtime's result digest is read from BASIN_CHECKPOINT_DIR into the record"

# 2. Institutional asked, volunteer node: only the job fails, the node stays up.
id="$(sbatch --parsable -o "$POOL_DIR/refused.out" -w vol1 --basin-tier=institutional \
  --wrap 'echo RAN-ANYWAY')"
state="$(wait_job "$id")"
[ "$state" = FAILED ] || fail "refused job ended $state, expected FAILED"
grep -q "asked for --basin-tier=institutional but node vol1 is a volunteer node" "$POOL_DIR/refused.out" ||
  fail "the refusal is not in the job's output: $(cat "$POOL_DIR/refused.out")"
! grep -q RAN-ANYWAY "$POOL_DIR/refused.out" || fail "the refused job's script ran"
[ "$(sinfo -h -n vol1 -o %t)" = idle ] || fail "vol1 is $(sinfo -h -n vol1 -o %t) after a refusal"
wait_record "$id" batch vol1
[ "$(record_field "$id" batch vol1 step_state)" = refused ] || fail "refusal not recorded"
pass "tier refusal fails only the job (message in its output), the node stays idle"

# 3. Bad values are refused before anything is queued.
before="$(squeue -h | wc -l)"
set +e
msg="$(sbatch --basin-account=physics --wrap true 2>&1)"
rc=$?
set -e
[ $rc -ne 0 ] && grep -q "no longer accepted.*Submit with -A physics" <<<"$msg" ||
  fail "sbatch --basin-account: $msg"
for opt in --basin-tier=bogus --basin-replicas=9 --basin-checkpoint=rel/dir; do
  set +e
  msg="$(sbatch "$opt" --wrap true 2>&1)"
  rc=$?
  set -e
  [ $rc -ne 0 ] || fail "sbatch $opt was accepted"
  grep -q "basin: invalid value .* for --${opt%%=*}" <<<"${msg//--basin/--basin}" ||
    grep -q "invalid value" <<<"$msg" || fail "no clear message for $opt: $msg"
done
set +e
msg="$(srun --basin-replicas=0 true 2>&1)"
rc=$?
set -e
[ $rc -ne 0 ] && grep -q "allowed values are a whole number from 1 to 5" <<<"$msg" ||
  fail "srun --basin-replicas=0: $msg"
[ "$(squeue -h | wc -l)" = "$before" ] || fail "a job with a bad value was queued"
pass "bad --basin-* values are refused by sbatch and srun before queueing"

# 4. A 2-node step on the two volunteer nodes: one record per node per step.
id="$(sbatch --parsable -o /dev/null -N2 -C tier_volunteer --basin-tier=volunteer \
  --wrap 'srun -N2 -n2 sh -c "i=0; while [ \$i -lt 200000 ]; do i=\$((i+1)); done"')"
[ "$(wait_job "$id")" = COMPLETED ] || fail "2-node job $id failed"
for n in vol1 vol2; do
  wait_record "$id" 0 "$n"
  [ "$(record_field "$id" 0 "$n" tier)" = volunteer ] || fail "step 0 on $n: wrong tier"
  cpu="$(record_field "$id" 0 "$n" cpu_user_us)"
  [ "$cpu" -gt 10000 ] || fail "step 0 on $n recorded only ${cpu}us of CPU for a busy loop"
done
wait_record "$id" batch "$(scontrol show job "$id" | sed -n 's/^ *BatchHost=//p')"
pass "a 2-node srun step left a record on vol1 and on vol2 with its CPU time"

# 5. A requeued job: its second run is recorded with restart count 1.
id="$(sbatch --parsable -o /dev/null --requeue -w inst1 --wrap 'srun sleep 600')"
for _ in $(seq 60); do [ "$(squeue -h -j "$id" -o %T)" = RUNNING ] && break; sleep 0.5; done
sleep 1
scontrol requeue "$id"
wait_record "$id" batch inst1
for _ in $(seq 60); do
  scontrol update jobid="$id" StartTime=now 2>/dev/null || true
  [ "$(scontrol show job "$id" | sed -n 's/.*Restarts=\([0-9]*\).*/\1/p')" = 1 ] &&
    [ "$(squeue -h -j "$id" -o %T)" = RUNNING ] && break
  sleep 0.5
done
sleep 1
scancel "$id"
for _ in $(seq 30); do [ -f "$POOL_DIR/basin/inst1/spool/$id.batch.r1.inst1.basinrec" ] && break; sleep 0.5; done
[ -f "$POOL_DIR/basin/inst1/spool/$id.batch.r0.inst1.basinrec" ] || fail "first run of requeued job unrecorded"
[ -f "$POOL_DIR/basin/inst1/spool/$id.batch.r1.inst1.basinrec" ] || fail "second run (restart 1) unrecorded"
pass "a requeued job has records for both runs (restart count 0 and 1)"

# 6. The timed-out job still has its records, with how it ended.
state="$(wait_job "$timeout_job" 150)"
[ "$state" = TIMEOUT ] || fail "time-limited job ended $state"
wait_record "$timeout_job" batch vol2
wait_record "$timeout_job" 0 vol2
[ "$(record_field "$timeout_job" 0 vol2 step_state)" = killed:SIGTERM ] ||
  [ "$(record_field "$timeout_job" 0 vol2 step_state)" = killed:SIGKILL ] ||
  fail "timed-out step recorded as $(record_field "$timeout_job" 0 vol2 step_state)"
pass "a job killed by its time limit has its records"

# 7. An unusable key (here: readable by others) loses the record loudly but
#    never fails the job.
key="$POOL_DIR/basin/inst1/node.key"
chmod 644 "$key"
id="$(sbatch --parsable -o /dev/null -w inst1 --wrap true)"
state="$(wait_job "$id")"
chmod 600 "$key"
[ "$state" = COMPLETED ] || fail "a bad node key failed job $id ($state)"
sleep 1
grep -q "basin: LOST usage record basin-local/$id.batch/r0/inst1: key file .* has mode 0644: others could read the secret" \
  "$POOL_DIR/log/slurmd.inst1.log" || fail "no loud log line for the lost record"
[ ! -e "$POOL_DIR/basin/inst1/spool/$id.batch.r0.inst1.basinrec" ] || fail "record signed with a bad key"
pass "a bad node key is logged loudly (LOST usage record) and the job still completes"

# 8. Every record verifies against the pool's node keys; a flipped byte does not.
"$BASIN" records verify "${spools[@]}" --keys "$keys" >"$POOL_DIR/verify.out" ||
  { cat "$POOL_DIR/verify.out"; fail "some record does not verify"; }
count="$(tail -n1 "$POOL_DIR/verify.out")"
victims=("$POOL_DIR"/basin/vol1/spool/*.basinrec)
victim="${victims[0]}"
cp "$victim" "$POOL_DIR/tampered.basinrec"
printf '\x01' | dd of="$POOL_DIR/tampered.basinrec" bs=1 seek=40 conv=notrunc status=none
set +e
out="$("$BASIN" records verify "$POOL_DIR/tampered.basinrec" --keys "$keys")"
rc=$?
set -e
[ $rc -ne 0 ] && grep -q "^BAD .*tampered.basinrec" <<<"$out" || fail "tampered record passed: $out"
pass "every record verifies ($count); a record with one flipped byte is named as bad"
