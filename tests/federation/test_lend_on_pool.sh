#!/usr/bin/env bash
# A site lends two nodes of its own Slurm cluster to the pool, on hosts of
# their own (local-pool --hosts netns for both): the site cluster has its own
# munge key, slurmctld and slurmd (on port 6828; the pool's slurmd of a lent
# node takes the standard 6818 on the same host).
#   - basin pool lend (the site's admin, against the site's cluster): two
#     pilot jobs there, each joining the pool as a dynamic node with a
#     certificate valid for the window; both idle in the pool;
#   - a checkpointing heat job of the pool runs on a lent node; the site
#     closes that node's window (the pilot's warning signal, SIGUSR1, as the
#     window's end sends it): the pilot leaves the pool, the job checkpoints,
#     is requeued and finishes on a pool node with the digest of an
#     uninterrupted run;
#   - the site cancels the other pilot (SIGTERM, as preemption): it leaves too;
#   - afterwards no pilot process remains on the site, the site's queue is
#     empty, and the lent nodes are gone from the pool's sinfo;
#   - the lent node's records are accepted by ingest (their certificates).
source "$BASIN_SOURCE_DIR/tests/support/pool.sh"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
admin="$(mktemp -d /tmp/basin-lend.XXXXXX)"
cd "$admin"
# The pool runs without slurmdbd (quicker; accounts are not needed here);
# pool.toml describes it with the keys local-pool gave its nodes.
pool_up --hosts netns --slurmd-timeout 10 --accounting-db no
pool_toml_with_node_keys "$admin"
"$BASIN" pool add-account --name physics --home-site campus --member root >/dev/null
"$BASIN" pool enrolment-keygen --site campus --secret "$admin/keys/campus.enrol.key" >/dev/null
POOL_CONF="$SLURM_CONF"
pool_ctl="$(sed -n 's/^SlurmctldHost=.*(\(.*\))$/\1/p' "$POOL_CONF")"

SITE_DIR="$(mktemp -d /tmp/basin-test-site.XXXXXX)"
site_down() {
  "$LOCAL_POOL" down --dir "$SITE_DIR" >/dev/null 2>&1 || echo "FAIL: site cluster down" >&2
  local p
  for p in /proc/[0-9]*; do
    if grep -qszxF "BASIN_POOL_MARKER=$SITE_DIR" "$p/environ" 2>/dev/null; then
      echo "FAIL: site process left: $(tr '\0' ' ' <"$p/cmdline")" >&2
    fi
  done
  rm -rf "$SITE_DIR"
}
trap 'rc=$?; site_down; pool_down $rc' EXIT
"$LOCAL_POOL" up --dir "$SITE_DIR" --port-base $((POOL_PORT + 100)) --hosts netns \
  --accounting-db no --slurmd-port 6828 --kill-wait 30 --reach "$pool_ctl" \
  --plugin "$BASIN_BUILD_DIR/plugin/basin_spank.so" --timeout 90 >/dev/null
SITE_CONF="$SITE_DIR/etc/slurm.conf"
for n in inst1 vol1 vol2; do "$LOCAL_POOL" munged "lend-$n" --dir "$POOL_DIR" >/dev/null; done
pass "site cluster up beside the pool (its own munge key and controller; slurmd on port 6828)"

SLURM_CONF="$SITE_CONF" "$BASIN" pool --file pool.toml lend --site campus \
  --site-secret keys/campus.enrol.key --nodes 2 --window 30m --lead 60 --cpus 2 --memory-mb 2000 \
  --pool-slurm-conf "$POOL_CONF" --state-root "$admin/lend" \
  --munge-socket "$POOL_DIR/munge/lend-%n.socket" --plugin "$BASIN_BUILD_DIR/plugin/basin_spank.so" \
  --basin "$BASIN" >lend.out || fail "lend: $(cat lend.out)"
cat lend.out
pilots=($(sed -n 's/^lent .*: pilot job \([0-9]*\) .*/\1/p' lend.out))
[ ${#pilots[@]} = 2 ] || fail "lend did not submit 2 pilots: $(cat lend.out)"
start=$SECONDS
for _ in $(seq 120); do
  [ "$(sinfo -h -N -o '%N %t' | sort -u | grep -c '^campus-lend[12] idle$')" = 2 ] && break
  sleep 0.5
done
[ "$(sinfo -h -N -o '%N %t' | sort -u | grep -c '^campus-lend[12] idle$')" = 2 ] ||
  fail "lent nodes not idle in the pool: $(sinfo -N -o '%N %t %f'; cat "$admin"/lend/*/pilot.out)"
sinfo -h -N -o '%N %f' | grep -q "^campus-lend1 dynamic,tier_institutional,site_campus$" ||
  fail "lent node features: $(sinfo -N -o '%N %f')"
pass "2 nodes lent: idle in the pool $((SECONDS - start)) s after lend (pilots ${pilots[*]} on the site)"

N=64 SIM_TIME=24000   # 7-60 s on 2 cores
mpirun -n 2 --oversubscribe --bind-to none "$BASIN" run heat --set nx=$N --set ny=$N --set nz=$N \
  --set sim_time=$SIM_TIME --digest-file ref.d >ref.log || fail "reference run"
ref="$(cat ref.d)"
mkdir -m 777 ckpt
id="$(sbatch --parsable -A physics -C "site_campus&dynamic" --chdir="$admin" \
  --basin-checkpoint="$admin/ckpt" \
  --export=ALL,BASIN="$BASIN",N=$N,SIM_TIME=$SIM_TIME,CHECKPOINT_EVERY=1 \
  "$BASIN_SOURCE_DIR/examples/heat.sbatch")"
log="$admin/heat-$id.out"
for _ in $(seq 120); do grep -q "heat: step" "$log" 2>/dev/null && break; sleep 0.5; done
lent="$(squeue -h -j "$id" -o %N)"
case "$lent" in campus-lend1|campus-lend2) ;; *) fail "job $id runs on '$lent', not a lent node" ;; esac
pilot="${pilots[$((${lent#campus-lend} - 1))]}"
other_pilot="${pilots[$((2 - ${lent#campus-lend}))]}"
wait_progress "$log" 1 15 || fail "job $id does not progress: $(cat "$log")"
# The site closes the window of that node now: the pilot gets the warning
# signal the window's end would send (--signal=B:USR1@lead).
SLURM_CONF="$SITE_CONF" scancel --batch --signal=USR1 "$pilot" || fail "signal pilot $pilot"
gone=$SECONDS
for _ in $(seq 120); do sinfo -h -N -o %N | grep -qx "$lent" || break; sleep 0.25; done
sinfo -h -N -o %N | grep -qx "$lent" && fail "$lent still in the pool: $(cat "$admin/lend/$lent/pilot.out")"
pass "window of $lent closed: node gone from the pool in $((SECONDS - gone)) s; $(grep 'left the pool' "$admin/lend/$lent/pilot.out")"
scontrol update jobid="$id" Features=site_campus >/dev/null 2>&1 || true
release_requeued "$id"
state="$(wait_job "$id" 240)"
[ "$state" = COMPLETED ] || fail "job $id ended $state: $(cat "$log")"
grep -q "preempted by a signal at step" "$log" || fail "no checkpoint on the window's end: $(cat "$log")"
got="$(sed -n 's/.*result digest \(blake2b-256:[0-9a-f]*\).*/\1/p' "$log" | tail -1)"
[ "$got" = "$ref" ] || fail "digest after the window closed $got != uninterrupted $ref"
pass "job $id: checkpointed as the window closed, finished on $(sacct -n -X -j "$id" -o NodeList | tail -1 | tr -d ' ') with the uninterrupted digest"

# The site preempts (cancels) the other pilot: SIGTERM, it leaves too.
other="campus-lend$((3 - ${lent#campus-lend}))"
SLURM_CONF="$SITE_CONF" scancel "$other_pilot"
for _ in $(seq 120); do sinfo -h -N -o %N | grep -qx "$other" || break; sleep 0.25; done
sinfo -h -N -o %N | grep -qx "$other" && fail "$other still in the pool after its pilot was cancelled"
for _ in $(seq 60); do [ -z "$(SLURM_CONF="$SITE_CONF" squeue -h)" ] && break; sleep 0.5; done
[ -z "$(SLURM_CONF="$SITE_CONF" squeue -h)" ] || fail "pilots still in the site's queue: $(SLURM_CONF="$SITE_CONF" squeue)"
for p in /proc/[0-9]*; do
  cmd="$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)" || continue
  case "$cmd" in *"join --foreground"* | *"-N campus-lend"*) fail "pilot process left on the site: $cmd" ;; esac
done
sinfo -h -N -o %N | grep -q campus-lend && fail "lent nodes still in sinfo: $(sinfo -N)"
pass "site cancelled the other pilot: it left; no pilot process or job remains, lent nodes gone from sinfo"

set +e
"$BASIN" ledger --db ledger.sqlite ingest "$POOL_DIR"/basin/*/spool "$admin"/lend/*/spool \
  --keys "$POOL_DIR/etc/node-keys" --pool pool.toml >ingest.out 2>&1
rc=$?
set -e
[ $rc = 0 ] || fail "ingest: $(cat ingest.out)"
ls "$admin/lend/$lent/spool" | grep -q "^$id\.batch\." || fail "no record of the run on $lent"
pass "ingest: the lent node's records accepted under its window's certificate ($(tail -1 ingest.out))"
cd /
rm -rf "$admin"
