#!/usr/bin/env bash
# Output and checkpoints onto a full file system (a 2 MiB tmpfs): heat on 1
# and 2 ranks ends with a clean error naming the file (exit 1, no SIGSEGV or
# abort at MPI_Finalize) and leaves no file under the output's name, nor a
# temporary. Needs root (mount); skipped (exit 77) otherwise.
set -euo pipefail
: "${BASIN:?}"
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }
[ "$(id -u)" = 0 ] || { echo "skip: needs root to mount a tmpfs"; exit 77; }
work="$(mktemp -d /tmp/basin-fulldisk-test.XXXXXX)"
mnt="$work/full"
mkdir -p "$mnt"
mount -t tmpfs -o size=2m tmpfs "$mnt" || { echo "skip: cannot mount a tmpfs"; exit 77; }
trap 'umount "$mnt" 2>/dev/null || umount -l "$mnt"; rm -rf "$work"' EXIT
cd "$work"
run() { local np="$1"; shift; mpirun -n "$np" --oversubscribe --bind-to none "$BASIN" run "$@"; }

# 72^3 doubles = 2.8 MiB per output level: the first level does not fit.
for np in 1 2; do
  rc=0
  run "$np" heat --set nx=72 --set ny=72 --set nz=72 --set sim_time=1 --output "$mnt/heat.nc" \
    --digest-file "d$np" >"out$np" 2>"err$np" || rc=$?
  [ "$rc" = 1 ] || fail "$np rank(s): exit $rc, want 1 (a clean error): $(cat "err$np")"
  grep -q "heat.nc" "err$np" || fail "$np rank(s): the output is not named: $(cat "err$np")"
  grep -q -i "no space left\|full\|cannot write" "err$np" || fail "$np rank(s): no reason: $(cat "err$np")"
  ! grep -q -i "segmentation\|signal 11\|SIGSEGV\|core dumped" "err$np" "out$np" ||
    fail "$np rank(s): crashed: $(cat "err$np")"
  [ -z "$(ls -A "$mnt")" ] || fail "$np rank(s): files left on the full disk: $(ls -la "$mnt")"
  [ ! -e "d$np" ] || fail "$np rank(s): a failed run wrote a digest"
  pass "$np rank(s): full disk -> exit 1, the output named, nothing left"
done

# A checkpoint onto the full disk: the same clean end, no temporary left.
for np in 1 2; do
  rc=0
  run "$np" heat --set nx=72 --set ny=72 --set nz=72 --set sim_time=1 --set stop_after=1 \
    --checkpoint-dir "$mnt/ck" --digest-file "c$np" >"cout$np" 2>"cerr$np" || rc=$?
  [ "$rc" = 1 ] || fail "checkpoint, $np rank(s): exit $rc, want 1: $(cat "cerr$np")"
  grep -q "cannot write the checkpoint $mnt/ck/checkpoint-1.h5.tmp.*(it is full)" "cerr$np" ||
    fail "checkpoint, $np rank(s): $(cat "cerr$np")"
  [ -z "$(ls -A "$mnt/ck")" ] || fail "checkpoint, $np rank(s): left $(ls -la "$mnt/ck")"
  pass "checkpoint, $np rank(s): full disk -> exit 1, named, nothing left"
done
rm -rf "${mnt:?}"/*

# The temporary name on the way that works: a run stopped for a requeue leaves
# its output under the final name, the continued run completes it, and the
# file equals an uninterrupted run's; no temporary file is left.
G=(--set nx=24 --set ny=20 --set nz=18 --set output_every=5 --set sim_time=200)
run 1 heat "${G[@]}" --output full.nc --digest-file f.d >/dev/null || fail "uninterrupted run"
rc=0; run 2 heat "${G[@]}" --output part.nc --checkpoint-dir ck --set stop_after=23 \
  --digest-file p.d >/dev/null || rc=$?
[ "$rc" = 75 ] || fail "stop_after: exit $rc"
[ -f part.nc ] && [ ! -e part.nc.basin-tmp ] || fail "after the stop: $(ls)"
run 1 heat "${G[@]}" --output part.nc --checkpoint-dir ck --digest-file p.d >/dev/null ||
  fail "continued run"
[ ! -e part.nc.basin-tmp ] && [ ! -e full.nc.basin-tmp ] || fail "temporary files left: $(ls)"
/usr/bin/python3 - <<'PY' || fail "continued output differs"
import h5py, numpy as np
a, b = h5py.File("full.nc", "r"), h5py.File("part.nc", "r")
assert np.array_equal(a["t"][:], b["t"][:]) and np.array_equal(a["T"][:], b["T"][:])
assert a.attrs["basin_result_digest"] == b.attrs["basin_result_digest"]
PY
pass "output under a temporary name: stop, continue, same file as an uninterrupted run"
