#!/usr/bin/env bash
# examples/weather.sbatch on a real local pool: a job stops at a checkpoint, a
# second one restarts from it and ends with fields identical bit for bit
# to an uninterrupted run of the same model; the plot script draws it.
source "$BASIN_SOURCE_DIR/tests/support/pool.sh"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
work="$(mktemp -d /tmp/basin-weather-test.XXXXXX)"
pool_up
cleanup_work() { rm -rf "$work"; }

# The reference: the same run without interruption, straight under mpirun.
(cd "$work" && mpirun -n 2 --oversubscribe --bind-to none "$BASIN" weather \
  --set case=thermal --set nx=200 --set nz=100 --set sim_time=700 \
  --set output_interval=100 --output ref.nc >/dev/null) || fail "reference run failed"

# First job stops after 1050 of 2100 steps with a checkpoint (as a job hitting
# its time limit would); the second continues from it. (A requeue takes the
# same path through SLURM_RESTART_COUNT, but Slurm delays requeued jobs.)
id="$(sbatch --parsable --chdir="$work" --export=ALL,BASIN="$BASIN",MAX_STEPS=1050 -w inst1 \
  "$BASIN_SOURCE_DIR/examples/weather.sbatch")"
state="$(wait_job "$id" 120)"
[ "$state" = COMPLETED ] || fail "first job $id ended $state: $(cat "$work/weather-$id.out")"
grep -q "t=350.000 s steps=1050" "$work/weather-$id.out" ||
  fail "first job did not stop at step 1050: $(cat "$work/weather-$id.out")"
id2="$(sbatch --parsable --chdir="$work" --export=ALL,BASIN="$BASIN",RESTART=1 -w inst1 \
  "$BASIN_SOURCE_DIR/examples/weather.sbatch")"
state="$(wait_job "$id2" 120)"
[ "$state" = COMPLETED ] || fail "second job $id2 ended $state: $(cat "$work/weather-$id2.out")"
grep -q "restarted from weather-thermal.ck.h5 at t=350" "$work/weather-$id2.out" ||
  fail "second job did not restart from the checkpoint: $(cat "$work/weather-$id2.out")"
pass "weather.sbatch stopped at a checkpoint, a second job restarted from it and COMPLETED"

/usr/bin/python3 - "$work/ref.nc" "$work/weather-thermal.nc" <<'PY' || fail "restarted fields differ"
import sys, h5py, numpy as np
a, b = (h5py.File(p, "r") for p in sys.argv[1:3])
assert a["t"][-1] == b["t"][-1] == 700.0
for v in ("dens", "uwnd", "wwnd", "theta"):
    assert np.array_equal(a[v][-1], b[v][-1]), v
PY
pass "theta, dens, uwnd, wwnd after restart identical bit for bit to the uninterrupted run"

/usr/bin/python3 "$BASIN_SOURCE_DIR/examples/plot_weather_theta.py" "$work/weather-thermal.nc" \
  "$work/theta.png" >/dev/null || fail "plot script failed"
[ -s "$work/theta.png" ] || fail "no PNG written"
pass "plot_weather_theta.py wrote a PNG"
cleanup_work
