#!/usr/bin/env bash
# examples/weather.sbatch on a real local pool: the first run stops at a
# checkpoint as if preempted (exit 75), the script requeues the job, the
# requeued run continues from the checkpoint and ends with the result digest
# and the output levels of an uninterrupted run; the plot script draws it.
source "$BASIN_SOURCE_DIR/tests/support/pool.sh"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
work="$(mktemp -d /tmp/basin-weather-test.XXXXXX)"
pool_up

# The reference: the same run without interruption, straight under mpirun.
(cd "$work" && mpirun -n 2 --oversubscribe --bind-to none "$BASIN" run weather \
  --set case=thermal --set nx=200 --set nz=100 --set sim_time=700 --set output_every=300 \
  --output ref.nc --digest-file ref.d >ref.log) || fail "reference run failed: $(cat "$work/ref.log")"
ref="$(cat "$work/ref.d")"

id="$(sbatch --parsable --chdir="$work" --export=ALL,BASIN="$BASIN",STOP_AFTER=1050 -w inst1 \
  "$BASIN_SOURCE_DIR/examples/weather.sbatch")"
log="$work/weather-$id.out"
# The first run stops at step 1050 and requeues the job; a requeued job waits
# for its begin time: let it go now.
for _ in $(seq 240); do grep -q "checkpointed; requeueing" "$log" 2>/dev/null && break; sleep 0.5; done
grep -q "checkpointed; requeueing" "$log" || fail "job $id did not requeue itself: $(cat "$log")"
release_requeued "$id"
state="$(wait_job "$id" 240)"
[ "$state" = COMPLETED ] || fail "job $id ended $state: $(cat "$log")"
grep -q "stop_after reached at step 1050" "$log" || fail "no checkpoint at step 1050: $(cat "$log")"
grep -q "continuing from the checkpoint of step 1050" "$log" || fail "no restart: $(cat "$log")"
grep -q "run 2 on" "$log" || fail "the job did not run twice: $(cat "$log")"
pass "weather.sbatch checkpointed at step 1050, requeued itself (exit 75) and continued to COMPLETED"

got="$(sed -n 's/.*result digest \(blake2b-256:[0-9a-f]*\).*/\1/p' "$log" | tail -1)"
[ "$got" = "$ref" ] || fail "requeued run digest '$got' != uninterrupted '$ref'"
grep -q "weather end: t=700.000 s steps=2100 d_mass=" "$log" || fail "no end diagnostics: $(cat "$log")"
/usr/bin/python3 - "$work/ref.nc" "$work/weather-thermal.nc" <<'PY' || fail "output levels differ"
import sys, h5py, numpy as np
a, b = (h5py.File(p, "r") for p in sys.argv[1:3])
assert np.array_equal(a["t"][:], b["t"][:]) and a["t"][-1] == 700.0, (a["t"][:], b["t"][:])
assert a["theta"].shape == (8, 100, 1, 200), a["theta"].shape
for v in ("dens", "uwnd", "wwnd", "theta"):
    assert np.array_equal(a[v][:], b[v][:]), v
PY
pass "same digest and every output level identical bit for bit to the uninterrupted run"

/usr/bin/python3 "$BASIN_SOURCE_DIR/examples/plot_weather_theta.py" "$work/weather-thermal.nc" \
  "$work/theta.png" >/dev/null || fail "plot script failed"
[ -s "$work/theta.png" ] || fail "no PNG written"
pass "plot_weather_theta.py wrote a PNG"
rm -rf "$work"
