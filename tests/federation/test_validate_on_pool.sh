#!/usr/bin/env bash
# `basin ledger validate` on a real local pool: three replicas of a heat run
# (--basin-replicas=3) on three nodes, one of them deliberately wrong (another
# amplitude), and a second group with only one of its three replicas. The
# plugin's usage records carry each run's digest; after ingesting them, the
# wrong replica is INVALID, the first group canonical, the second pending,
# and the nodes' reliability says who ran what.
source "$BASIN_SOURCE_DIR/tests/support/pool.sh"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
work="$(mktemp -d /tmp/basin-validate.XXXXXX)"
pool_up

submit() {  # NODE NAME AMPLITUDE
  sbatch --parsable --chdir="$work" -w "$1" -J "$2" -n 1 --basin-replicas=3 --basin-checkpoint \
    --output="$work/%j.out" \
    --wrap "srun --mpi=pmix $BASIN run heat --set nx=16 --set ny=16 --set nz=16 --set amplitude=$3"
}
a1="$(submit inst1 rep-heat 1)"
a2="$(submit vol1 rep-heat 1)"
a3="$(submit vol2 rep-heat 2)"   # the wrong replica
b1="$(submit vol1 lone-heat 1)"
for id in "$a1" "$a2" "$a3" "$b1"; do
  state="$(wait_job "$id" 120)"
  [ "$state" = COMPLETED ] || fail "job $id ended $state: $(cat "$work/$id.out")"
done

db="$work/ledger.sqlite"
# validate re-checks every record against pool.toml's node keys: a pool.toml
# whose nodes keep the keys local-pool gave them (and their sizes).
pool_toml_with_node_keys "$work" || fail "pool.toml for the local pool"
# (ingest bounds each record by its node's size there: 2 CPUs, 2000 MB.)
"$BASIN" ledger --db "$db" ingest "$POOL_DIR"/basin/*/spool --keys "$POOL_DIR/etc/node-keys" \
  --pool "$work/pool.toml" \
  >"$work/ingest.log" || fail "ingest: $(cat "$work/ingest.log")"
"$BASIN" ledger --db "$db" validate --pool "$work/pool.toml" >"$work/validate.log" && rc=0 || rc=$?
cat "$work/validate.log"
[ "$rc" = 1 ] || fail "validate should exit 1 with an invalid replica (got $rc)"
grep -Eq "rep-heat +$a3 +vol2 +[0-9a-f]+ +INVALID" "$work/validate.log" ||
  fail "the wrong replica (job $a3 on vol2) is not INVALID"
for id in "$a1" "$a2"; do
  grep -Eq "rep-heat +$id +[a-z0-9]+ +[0-9a-f]+ +valid" "$work/validate.log" ||
    fail "replica $id is not valid"
done
grep -q "group .*:rep-heat: canonical (3 replicas, quorum 2)" "$work/validate.log" ||
  fail "group rep-heat not canonical"
grep -Eq "lone-heat +$b1 +vol1 +[0-9a-f]+ +pending" "$work/validate.log" ||
  fail "the lone replica is not pending"
grep -q "group .*:lone-heat: pending .*(1 replicas, quorum 2)" "$work/validate.log" ||
  fail "group lone-heat not pending"
grep -Eq "^vol2 +0 +1 +0$" "$work/validate.log" || fail "vol2's reliability"
grep -Eq "^vol1 +1 +0 +1$" "$work/validate.log" || fail "vol1's reliability"
pass "replicas: the wrong digest INVALID, the group canonical, a short group pending, reliability per node"
rm -rf "$work"
