#!/usr/bin/env bash
# `basin run` end to end under mpirun: digests that do not depend on ranks,
# threads or the split; xarray reading the output with units; the exact and
# converging answers of heat and poisson; checkpoint/restart (also across
# rank counts), a kill -9 during a checkpoint write, a corrupt and a
# mismatched checkpoint; bad input refused before any work.
set -euo pipefail
: "${BASIN:?}" "${BASIN_SOURCE_DIR:?}"
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }
work="$(mktemp -d /tmp/basin-run-test.XXXXXX)"
trap 'rm -rf "$work"' EXIT
cd "$work"
run() { local np="$1"; shift; mpirun -n "$np" --oversubscribe --bind-to none "$BASIN" run "$@"; }
digest_of() { cat "$1"; }
G=(--set nx=40 --set ny=36 --set nz=34)   # not multiples of anything: uneven blocks

# --- digests: ranks, threads, split dimensions --------------------------------
for w in heat poisson; do
  run 1 $w "${G[@]}" --set threads=1 --digest-file "$w.1" >"$w.1.log" || fail "$w 1 rank"
  run 1 $w "${G[@]}" --set threads=2 --digest-file "$w.1t2" >/dev/null || fail "$w 2 threads"
  run 2 $w "${G[@]}" --set threads=2 --digest-file "$w.2" >/dev/null || fail "$w 2 ranks"
  run 4 $w "${G[@]}" --set threads=1 --digest-file "$w.4" >/dev/null || fail "$w 4 ranks"
  run 4 $w --set nx=70 --set ny=36 --set nz=34 --set split_dims=3 --digest-file "$w.4x" \
    >/dev/null || fail "$w 4 ranks split in x"
  run 1 $w --set nx=70 --set ny=36 --set nz=34 --digest-file "$w.1x" >/dev/null || fail "$w 70"
  for d in 1t2 2 4; do
    [ "$(digest_of $w.1)" = "$(digest_of $w.$d)" ] || fail "$w digest differs ($d): $(cat $w.1 $w.$d)"
  done
  [ "$(digest_of $w.1x)" = "$(digest_of $w.4x)" ] || fail "$w digest differs with an x split"
  [ "$(digest_of $w.1)" != "$(digest_of $w.1x)" ] || fail "$w digest ignores the grid"
  grep -Eq '^blake2b-256:[0-9a-f]{64}$' "$w.1" || fail "digest format: $(cat $w.1)"
done
pass "heat and poisson digests equal for 1, 2, 4 ranks, 1 and 2 threads, split_dims 2 and 3"

# --- heat: exact discrete answer, second-order convergence --------------------
grep -Eq 'max \|T - discrete exact\| / A = [0-9.]+e-1[4-9]' heat.1.log ||
  fail "heat is not the exact discrete solution: $(cat heat.1.log)"
# The stores each rank kept (what a cell update costs in memory traffic).
grep -Eq 'stores: streaming on [01] of 1 rank\(s\), ordinary on the rest' heat.1.log ||
  fail "heat's summary does not say which stores it kept: $(cat heat.1.log)"
err() { sed -n "s#.*$1 = \([0-9.e+-]*\).*#\1#p" "$2" | head -1; }
for n in 16 32; do
  run 1 heat --set nx=$n --set ny=$n --set nz=$n --digest-file /tmp/basin-ignore.$$ >"conv$n.log"
done
rm -f /tmp/basin-ignore.$$
/usr/bin/python3 - "$(err 'continuous exact| / A' conv16.log)" "$(err 'continuous exact| / A' conv32.log)" <<'PY' ||
import sys
e16, e32 = map(float, sys.argv[1:3])
order = __import__("math").log(e16 / e32, 33 / 17)
assert 1.8 < order < 2.2, (e16, e32, order)
print(f"heat: continuous error {e16:.3e} -> {e32:.3e}, order {order:.2f}")
PY
  fail "heat does not converge at second order"
for n in 16 32; do
  run 2 poisson --set nx=$n --set ny=$n --set nz=$n --digest-file "p$n.d" >"pconv$n.log"
  grep -Eq 'recurrence residual reduced to [0-9.]+e-(09|1[0-9])' "pconv$n.log" ||
    fail "poisson residual not reduced below 1e-8: $(cat pconv$n.log)"
  grep -Eq 'true residual \|f - A u\| / \|f\| = [0-9.]+e-(09|1[0-9])' "pconv$n.log" ||
    fail "poisson true residual above 1e-8: $(cat pconv$n.log)"
done
/usr/bin/python3 - "$(err 'max |u - u_exact|' pconv16.log)" "$(err 'max |u - u_exact|' pconv32.log)" <<'PY' ||
import sys, math
e16, e32 = map(float, sys.argv[1:3])
order = math.log(e16 / e32, 33 / 17)
assert 1.8 < order < 2.2, (e16, e32, order)
print(f"poisson: error {e16:.3e} -> {e32:.3e}, order {order:.2f}")
PY
  fail "poisson does not converge at second order"
pass "heat exact to 1e-14 of the discrete solution; heat and poisson converge at second order"

# --- xarray reads the output with units and the right values ------------------
run 2 heat "${G[@]}" --set output_every=20 --set deflate=4 --output heat.nc --digest-file h.d \
  >/dev/null || fail "heat with output"
ncdump -h heat.nc >/dev/null || fail "ncdump cannot read heat.nc"
/usr/bin/python3 - heat.nc "$(cat h.d)" <<'PY' || fail "xarray check"
import sys, math, xarray as xr, numpy as np
ds = xr.open_dataset(sys.argv[1])
T = ds["T"]
assert T.dims == ("t", "z", "y", "x"), T.dims
assert T.attrs["units"] == "K" and ds["x"].attrs["units"] == "m" and ds["t"].attrs["units"] == "s"
assert ds.attrs["basin_result_digest"] == sys.argv[2]
# The initial level is the sine mode; the last decays by exp(-3 alpha pi^2 t).
x, y, z = ds["x"].values, ds["y"].values, ds["z"].values
mode = np.sin(np.pi * z)[:, None, None] * np.sin(np.pi * y)[None, :, None] * np.sin(np.pi * x)[None, None, :]
assert np.allclose(T.isel(t=0).values, mode, atol=1e-14)
t_end = float(ds["t"][-1])
assert abs(t_end - 50.0) < 1e-9, t_end
decay = math.exp(-3 * 1e-4 * math.pi**2 * t_end)
assert np.allclose(T.isel(t=-1).values, decay * mode, atol=2e-3), "wrong final field"
print(f"xarray: {T.sizes['t']} levels, T[-1] matches exp decay {decay:.6f}")
PY
pass "xarray opens the parallel output: dims (t, z, y, x), units, values, digest attribute"

# --- checkpoint / restart ----------------------------------------------------
ref="$(cat heat.1)"
run 2 heat "${G[@]}" --checkpoint-dir ck --set stop_after=15 --digest-file r.d >stop.log && rc=0 || rc=$?
[ "$rc" = 75 ] || fail "stop_after should exit 75, got $rc: $(cat stop.log)"
[ ! -e r.d ] || fail "an interrupted run wrote a digest"
ls ck/checkpoint-15.h5 >/dev/null || fail "no checkpoint-15.h5: $(ls ck)"
run 4 heat "${G[@]}" --checkpoint-dir ck --set stop_after=15 --digest-file r.d >/dev/null || rc=$?
ls ck/checkpoint-30.h5 >/dev/null || fail "second leg wrote no checkpoint-30.h5"
run 1 heat "${G[@]}" --checkpoint-dir ck --restart --digest-file r.d >cont.log || fail "continue: $(cat cont.log)"
grep -q "continuing from the checkpoint of step 30" cont.log || fail "did not continue: $(cat cont.log)"
[ "$(cat r.d)" = "$ref" ] || fail "2 -> 4 -> 1 rank restart changed the result"
pass "checkpoint at step 15 (2 ranks), 30 (4 ranks), finished on 1 rank: same digest as uninterrupted"

# A real SIGTERM (as Slurm sends) is agreed by all ranks, checkpointed, exit 75.
mpirun -n 2 --oversubscribe --bind-to none "$BASIN" run heat --set nx=96 --set ny=96 --set nz=96 \
  --set sim_time=2000 --checkpoint-dir sig --digest-file s.d >sig.log 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q "step" sig.log 2>/dev/null && break; sleep 0.1; done
sleep 1
kill -TERM $pid
wait $pid && rc=0 || rc=$?
grep -q "preempted by a signal" sig.log || fail "SIGTERM not handled: $(cat sig.log)"
ls sig/checkpoint-*.h5 >/dev/null || fail "no checkpoint after SIGTERM"
pass "SIGTERM under mpirun: every rank stopped at one step and wrote one checkpoint"

# kill -9 in the middle of a checkpoint write leaves the previous one usable.
rm -rf k9
run 2 poisson "${G[@]}" --checkpoint-dir k9 --set stop_after=10 --digest-file k.d >/dev/null || true
BASIN_FAULT=kill-during-checkpoint:1 run 2 poisson "${G[@]}" --checkpoint-dir k9 \
  --set stop_after=10 --digest-file k.d >k9.log 2>&1 && fail "the fault hook did not fire"
ls k9/checkpoint-20.h5.tmp >/dev/null || fail "expected a half-written checkpoint-20.h5.tmp: $(ls k9)"
run 2 poisson "${G[@]}" --checkpoint-dir k9 --digest-file k.d >k9b.log || fail "$(cat k9b.log)"
grep -q "continuing from the checkpoint of step 10" k9b.log || fail "$(cat k9b.log)"
[ "$(cat k.d)" = "$(cat poisson.1)" ] || fail "poisson after kill -9 differs"
pass "kill -9 during a checkpoint write: the previous checkpoint continues to the same digest"

# A corrupt newest checkpoint is refused by its digest; the previous one is used.
rm -rf cc
run 1 heat "${G[@]}" --checkpoint-dir cc --set stop_after=20 --digest-file c.d >/dev/null || true
run 1 heat "${G[@]}" --checkpoint-dir cc --set stop_after=20 --digest-file c.d >/dev/null || true
/usr/bin/python3 - cc/checkpoint-40.h5 <<'PY'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r+") as f:
    f["T"][3, 4, 5] = f["T"][3, 4, 5] + 1e-9   # one silently flipped value
PY
run 2 heat "${G[@]}" --checkpoint-dir cc --digest-file c.d >cc.log || fail "$(cat cc.log)"
grep -q "checkpoint-40.h5: content digest mismatch" cc.log || fail "corruption not named: $(cat cc.log)"
grep -q "continuing from the checkpoint of step 20" cc.log || fail "no fallback: $(cat cc.log)"
[ "$(cat c.d)" = "$ref" ] || fail "result after fallback differs"
pass "a corrupt checkpoint is refused by its digest and the previous one is used"

# Another grid or workload: refused with a message, nothing run.
run 1 heat --set nx=41 --set ny=36 --set nz=34 --checkpoint-dir cc --digest-file x.d >mm.log 2>&1 &&
  fail "a mismatched checkpoint was accepted"
grep -q "grid 34x36x40, this run's grid is 34x36x41" mm.log || fail "mismatch not explained: $(cat mm.log)"
run 1 poisson "${G[@]}" --checkpoint-dir cc --digest-file x.d >mm2.log 2>&1 &&
  fail "another workload's checkpoint was accepted"
grep -q "written by workload 'heat', this run is 'poisson'" mm2.log || fail "$(cat mm2.log)"
[ ! -e x.d ] || fail "a refused run wrote a digest"
pass "checkpoints of another grid or workload are refused with the reason"

# --- bad input ---------------------------------------------------------------
expect_refusal() {
  local want="$1"; shift
  "$BASIN" run "$@" >bad.out 2>bad.err && fail "accepted: $*"
  [ "$?" -ne 0 ] || true
  grep -q -- "$want" bad.err || fail "message for '$*' lacks '$want': $(cat bad.err)"
}
expect_refusal "unknown parameter; known: nx, ny, nz" heat --set nq=3
expect_refusal "parameter nx=ten: not a finite number" heat --set nx=ten
expect_refusal "parameter cfl=2: out of range" heat --set cfl=2
expect_refusal "expected KEY=VALUE" heat --set nx
printf 'nx = 32\nbogus = 1\n' >bad.toml
expect_refusal "bad.toml:2: unknown parameter 'bogus'" heat --config bad.toml
printf 'nx = [1, 2]\n' >bad2.toml
expect_refusal "nx must be an integer, not a table or array" heat --config bad2.toml
printf 'nx = 8\nny = 8\nnz = 8\nsim_time = 1\n' >good.toml
"$BASIN" run heat --config good.toml --set nz=10 --digest-file g.d >good.log || fail "toml: $(cat good.log)"
grep -q "grid 10 x 8 x 8" good.log || fail "--config / --set not applied: $(cat good.log)"
"$BASIN" run heat --set nx=8 --set ny=8 --set nz=8 --restart >bad.out 2>bad.err && fail "restart without dir"
grep -q -- "--restart needs a checkpoint directory" bad.err || fail "$(cat bad.err)"
"$BASIN" run heat --digest-file /dev/null --set nx=8 --set ny=8 --set nz=8 >bad.out 2>bad.err &&
  fail "digest onto a device accepted"
[ -c /dev/null ] || fail "/dev/null was replaced"
mpirun -n 4 --oversubscribe "$BASIN" run heat --set nx=8 --set ny=8 --set nz=3 --digest-file q.d \
  >bad.out 2>bad.err && fail "too small a grid accepted"
grep -q "grid too small for 4 ranks" bad.err || fail "$(cat bad.err)"
pass "bad parameters, TOML, --restart without a directory, small grids: refused with the fix named"
