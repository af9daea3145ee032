#!/usr/bin/env bash
# examples/heat.sbatch on a real local pool: `scontrol requeue` in the middle
# of the run (SIGTERM to the tasks), the requeued job continues from the
# checkpoint and ends with the digest of an uninterrupted run; the plugin's
# usage record of the finishing step carries that digest.
source "$BASIN_SOURCE_DIR/tests/support/pool.sh"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
work="$(mktemp -d /tmp/basin-heat-requeue.XXXXXX)"
pool_up
N=64 SIM_TIME=24000   # about 68,000 steps (7-60 s on 2 cores): long enough to interrupt
(cd "$work" && mpirun -n 2 --oversubscribe --bind-to none "$BASIN" run heat --set nx=$N \
  --set ny=$N --set nz=$N --set sim_time=$SIM_TIME --digest-file ref.d >ref.log) ||
  fail "reference run failed"
ref="$(cat "$work/ref.d")"

id="$(sbatch --parsable --chdir="$work" -w vol1 \
  --export=ALL,BASIN="$BASIN",N=$N,SIM_TIME=$SIM_TIME,CHECKPOINT_EVERY=1 \
  "$BASIN_SOURCE_DIR/examples/heat.sbatch")"
log="$work/heat-$id.out"
for _ in $(seq 120); do grep -q "heat: step" "$log" 2>/dev/null && break; sleep 0.5; done
grep -q "heat: step" "$log" || fail "job $id never started stepping: $(cat "$log" 2>/dev/null)"
# Interrupt about a third of the way in, judged by the job's own reported
# progress (a loaded machine, or tests side by side, run it at any speed).
wait_progress "$log" 1 30 || fail "job $id does not progress: $(cat "$log")"
scontrol requeue "$id" || fail "scontrol requeue $id failed"
# A requeued job waits for its begin time; let it go now.
release_requeued "$id"
state="$(wait_job "$id" 240)"
[ "$state" = COMPLETED ] || fail "job $id ended $state: $(cat "$log")"
grep -q "preempted by a signal at step" "$log" || fail "no checkpoint on SIGTERM: $(cat "$log")"
grep -q "continuing from the checkpoint of step" "$log" || fail "no restart: $(cat "$log")"
grep -q "run 2 on" "$log" || fail "the job did not run twice: $(cat "$log")"
got="$(sed -n 's/.*result digest \(blake2b-256:[0-9a-f]*\).*/\1/p' "$log" | tail -1)"
[ "$got" = "$ref" ] || fail "requeued run digest $got != uninterrupted $ref"
pass "scontrol requeue mid-run: checkpoint on SIGTERM, continued, same digest as uninterrupted"

# The usage record of the finishing srun step carries the digest.
spool="$POOL_DIR/basin/vol1/spool"
found=""
for f in "$spool"/*; do
  "$BASIN" records show --json "$f" 2>/dev/null | grep -q "$ref" && found="$f"
done
[ -n "$found" ] || fail "no usage record carries the digest $ref"
pass "the plugin's usage record of the step carries the result digest"
rm -rf "$work"
