#!/usr/bin/env bash
# The README's main job, checked: an admin describes the pool in pool.toml
# and renders its Slurm configuration from it (local-pool --pool-file), then
# scripts/demo-month runs 20 jobs (replicas with one wrong, one requeued) and
# the month's accounting (records -> receipts -> validate -> settle ->
# reconcile against jobcomp: zero discrepancies), then a deleted record, a
# duplicated record and a tampered receipt, each of which must be named.
source "$BASIN_SOURCE_DIR/tests/support/pool.sh"
admin="$(mktemp -d /tmp/basin-month-admin.XXXXXX)"
cd "$admin"
pool_toml "$admin" 1 2
"$BASIN" pool add-account --name climate-lab --home-site campus --member root >/dev/null
"$BASIN" pool add-account --name physics --home-site home --member root >/dev/null
pool_up --pool-file "$admin/pool.toml"
grep -q "^NodeName=vol2 .*Features=tier_volunteer,site_home Weight=11" "$POOL_DIR/etc/slurm.conf" ||
  fail "slurm.conf not rendered from pool.toml: $(grep ^NodeName "$POOL_DIR/etc/slurm.conf")"
grep -q "^NodeName=inst1 .* Gres=gpu:2 " "$POOL_DIR/etc/slurm.conf" && grep -qx "GresTypes=gpu" "$POOL_DIR/etc/slurm.conf" &&
  grep -qx "NodeName=inst1 Name=gpu File=$POOL_DIR/dev/inst1-gpu\[0-1\]" "$POOL_DIR/etc/gres.conf" &&
  [ -c "$POOL_DIR/dev/inst1-gpu1" ] || fail "inst1's 2 GPUs not rendered from pool.toml"
scontrol show node inst1 | grep -q "Gres=gpu:2" || fail "inst1 offers no GPUs: $(scontrol show node inst1)"
"$BASIN" pool --file "$admin/pool.toml" status >status.out
grep -Eq "^vol1 +volunteer +home +IDLE" status.out || fail "pool status: $(cat status.out)"
pass "the pool runs from pool.toml; basin pool status shows its nodes idle"
"$BASIN_SOURCE_DIR/scripts/demo-month" --pool-dir "$POOL_DIR" --pool-file "$admin/pool.toml" \
  --basin "$BASIN" >month.out 2>&1 || { cat month.out; fail "demo-month"; }
tail -n 2 month.out
pass "20 jobs: wrong replica caught, settled, reconciled with 0 discrepancies; faults named"
rm -rf "$admin"
