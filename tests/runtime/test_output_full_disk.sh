#!/usr/bin/env bash
# Output onto a full file system (a 2 MiB tmpfs): heat on 1 and 2 ranks ends
# with a clean error naming the output (exit 1, no SIGSEGV or abort at
# MPI_Finalize) and leaves no file under the output's name, nor its
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
