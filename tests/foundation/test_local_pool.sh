#!/usr/bin/env bash
# The local pool end to end: three real slurmd, Basin's plugin registering
# --basin-tier, a job on the volunteer tier with an srun step, a bad value
# refused before submission, and nothing left running after `down`. First,
# a port of the test's range taken after it was checked: the pool moves.
source "$BASIN_SOURCE_DIR/tests/support/pool.sh"

# A socket bound to slurmdbd's port and not listening is invisible to `ss -l`
# (as the program that took a CI machine's PORT+50 between the check and
# slurmdbd's start was): slurmdbd cannot bind, `local-pool up` exits 3 and
# pool_up brings that pool down and moves the whole range up by 5000.
first_port=$POOL_PORT
holder_log="$(mktemp)"
timeout 300 python3 -c 'import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
print("bound", flush=True)
time.sleep(300)' $((POOL_PORT + 50)) >"$holder_log" 2>&1 &
holder=$!
for _ in $(seq 50); do grep -q bound "$holder_log" && break; sleep 0.1; done
grep -q bound "$holder_log" || fail "could not bind port $((POOL_PORT + 50)) for the test: $(cat "$holder_log")"
pool_up
kill "$holder" 2>/dev/null || true
rm -f "$holder_log"
[ "$POOL_PORT" -eq $((first_port + 5000)) ] ||
  fail "the pool stayed at port base $POOL_PORT with port $((first_port + 50)) taken"
grep -qx "SlurmctldPort=$POOL_PORT" "$SLURM_CONF" || fail "slurm.conf is not on the moved port base $POOL_PORT"
pass "slurmdbd's port taken under it: the pool came up on ports $POOL_PORT.. instead"

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
