#!/usr/bin/env bash
# Runs that cannot finish are refused before the first step, exit 2, with the
# reason and the fix: a grid whose memory estimate exceeds what a rank may use
# (MemAvailable, the cgroup limit, the Slurm job's memory), and output paths
# (--output, --digest-file, --checkpoint-dir) whose directory is missing.
set -euo pipefail
: "${BASIN:?}"
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }
work="$(mktemp -d /tmp/basin-refuse-test.XXXXXX)"
trap 'rm -rf "$work"' EXIT
cd "$work"
refused() {  # WANT... -- ARGS: exit 2, every WANT in stderr, no step taken
  local want=()
  while [ "$1" != "--" ]; do want+=("$1"); shift; done
  shift
  local rc=0
  "$@" >out 2>err || rc=$?
  [ "$rc" = 2 ] || fail "exit $rc (want 2) for $*: $(cat err out)"
  for w in "${want[@]}"; do grep -q -- "$w" err || fail "no '$w' for $*: $(cat err)"; done
  ! grep -q "step [0-9]" out || fail "steps were taken before the refusal: $(cat out)"
}

# --- memory ---------------------------------------------------------------
# 300^3 heat needs ~637 MiB per rank (two fields of 302 x 302 x 304 doubles:
# rows padded to whole cache lines, a halo exchange's buffers, one output
# block): refused under a 100 MB Slurm job.
SLURM_MEM_PER_NODE=100 refused "not enough memory: this run needs about 637.4 MiB per rank" \
  "SLURM_MEM_PER_NODE" "Use more ranks" -- \
  "$BASIN" run heat --set nx=300 --set ny=300 --set nz=300 --digest-file m.d
# Two ranks on the node share it: each needs about half.
SLURM_MEM_PER_NODE=200 refused "per rank" "shared by 2 rank(s)" -- \
  mpirun -n 2 --oversubscribe -x SLURM_MEM_PER_NODE "$BASIN" run heat --set nx=300 --set ny=300 \
  --set nz=300 --digest-file m.d
SLURM_MEM_PER_CPU=50 SLURM_CPUS_PER_TASK=1 refused "SLURM_MEM_PER_CPU" -- \
  "$BASIN" run poisson --set nx=200 --set ny=200 --set nz=200 --digest-file m.d
# A 10^6 x 10^6 weather grid (a bare std::bad_alloc before): refused with the estimate.
refused "not enough memory: this run needs about" "GiB per rank" "smaller grid" -- \
  "$BASIN" run weather --set nx=1000000 --set nz=1000000 --digest-file m.d
# The largest heat grid the parameters allow.
refused "not enough memory" -- "$BASIN" run heat --set nx=1048576 --set ny=1048576 \
  --set nz=1048576 --digest-file m.d
[ ! -e m.d ] || fail "a refused run wrote a digest"
# A grid that fits still runs under a limit.
SLURM_MEM_PER_NODE=100 "$BASIN" run heat --set nx=16 --set ny=16 --set nz=16 --digest-file ok.d \
  >ok.log || fail "a small grid under 100 MB: $(cat ok.log)"
pass "grids that cannot fit are refused before allocating, with the estimate and the limit"

# --- output paths ---------------------------------------------------------
S=(--set nx=16 --set ny=16 --set nz=16)
refused "--digest-file nodir/d: the directory nodir does not exist" -- \
  "$BASIN" run heat "${S[@]}" --digest-file nodir/d
refused "--output nodir/heat.nc: the directory nodir does not exist" -- \
  "$BASIN" run heat "${S[@]}" --output nodir/heat.nc --digest-file d
refused "--checkpoint-dir nodir/ck: cannot create it, its parent directory nodir does not exist" -- \
  "$BASIN" run heat "${S[@]}" --checkpoint-dir nodir/ck --digest-file d
touch afile
refused "--checkpoint-dir afile: the directory is not a directory" -- \
  "$BASIN" run heat "${S[@]}" --checkpoint-dir afile --digest-file d
BASIN_CHECKPOINT_DIR=nodir/ck refused "BASIN_CHECKPOINT_DIR=nodir/ck" -- \
  "$BASIN" run heat "${S[@]}"
refused "--digest-file nodir/d" -- mpirun -n 2 --oversubscribe "$BASIN" run heat "${S[@]}" \
  --digest-file nodir/d
[ ! -e d ] || fail "a refused run wrote a digest"
# A missing checkpoint directory whose parent exists is created, as before.
"$BASIN" run heat "${S[@]}" --checkpoint-dir newck --digest-file d >ck.log || fail "$(cat ck.log)"
[ -d newck ] && [ -s d ] || fail "newck or the digest missing"
pass "missing output directories are refused before the first step, naming the option"
