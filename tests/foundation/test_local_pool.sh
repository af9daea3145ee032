#!/usr/bin/env bash
# The local pool end to end: three real slurmd, Basin's plugin registering
# --basin-tier, a job on the volunteer tier with an srun step, a bad value
# refused before submission, and nothing left running after `down`.
source "$BASIN_SOURCE_DIR/tests/support/pool.sh"
pool_up

nodes="$(sinfo -h -N -o '%N %t %f' | sort)"
grep -q '^inst1 idle tier_institutional,site_campus$' <<<"$nodes" || fail "inst1 not idle: $nodes"
grep -q '^vol1 idle tier_volunteer,site_home$' <<<"$nodes" || fail "vol1 not idle: $nodes"
grep -q '^vol2 idle tier_volunteer,site_home$' <<<"$nodes" || fail "vol2 not idle: $nodes"
pass "three nodes idle with their tier and site features"

# (Capture first: `cmd | grep -q` can kill cmd with SIGPIPE, failing under pipefail.)
help="$(sbatch --help)"
grep -q -- '--basin-tier=TIER' <<<"$help" || fail "sbatch --help does not list --basin-tier"
help="$(srun --help)"
grep -q -- '--basin-tier=TIER' <<<"$help" || fail "srun --help does not list --basin-tier"
pass "sbatch --help and srun --help list --basin-tier"

out="$POOL_DIR/job.out"
id="$(sbatch --parsable --basin-tier=volunteer -C tier_volunteer -o "$out" \
  --wrap 'srun --basin-tier=volunteer sh -c "echo step on \$SLURMD_NODENAME"')"
state="$(wait_job "$id" 120)"
[ "$state" = COMPLETED ] || { cat "$out" >&2 || true; fail "job $id ended $state, expected COMPLETED"; }
node="$(scontrol show job "$id" | sed -n 's/^ *NodeList=\([^ ]*\).*/\1/p')"
case "$node" in vol1|vol2) ;; *) fail "job ran on '$node', not a volunteer node" ;; esac
grep -q "^step on $node\$" "$out" || fail "srun step output missing: $(cat "$out")"
pass "sbatch --basin-tier=volunteer -C tier_volunteer ran an srun step on $node: COMPLETED"

set +e
msg="$(sbatch --basin-tier=bogus --wrap true 2>&1)"
rc=$?
set -e
[ $rc -ne 0 ] || fail "sbatch --basin-tier=bogus was accepted"
grep -q "invalid value 'bogus' for --basin-tier: allowed values are institutional, volunteer, any" <<<"$msg" ||
  fail "unexpected message for a bad tier: $msg"
[ -z "$(squeue -h -o %i -n wrap -t PD,R)" ] || fail "a job was queued despite the bad tier"
pass "sbatch --basin-tier=bogus refused before submission: $(head -n1 <<<"$msg")"
