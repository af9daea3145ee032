#!/usr/bin/env bash
# A checkpoint's integrity check covers everything a restart restores: an
# edited step (heat) or scalar.time (weather) is refused with the file named
# and the fix (delete it), exit non-zero; an unedited one continues to the
# digest of an uninterrupted run.
set -euo pipefail
: "${BASIN:?}"
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }
work="$(mktemp -d /tmp/basin-ckint-test.XXXXXX)"
trap 'rm -rf "$work"' EXIT
cd "$work"
run() { local np="$1"; shift; mpirun -n "$np" --oversubscribe --bind-to none "$BASIN" run "$@"; }
edit_attr() {  # FILE NAME VALUE: sets a text (or, for scalar.*, a float) attribute
  /usr/bin/python3 - "$@" <<'PY'
import sys, h5py, numpy as np
path, name, value = sys.argv[1:4]
with h5py.File(path, "r+") as f:
    if name.startswith("scalar."):
        f.attrs[name] = np.float64(value)
    else:
        f.attrs.create(name, np.bytes_(value.encode()))
PY
}

H=(--set nx=24 --set ny=20 --set nz=18)
run 1 heat "${H[@]}" --digest-file ref.d >/dev/null || fail "reference heat run"

# One checkpoint only (so there is no older one to fall back to).
rc=0; run 2 heat "${H[@]}" --checkpoint-dir ck --set stop_after=10 --digest-file x.d >/dev/null || rc=$?
[ "$rc" = 75 ] || fail "stop_after exit $rc"
cp -r ck ck-good
f=ck/checkpoint-10.h5
[ -f "$f" ] || fail "no checkpoint-10.h5: $(ls ck)"
edit_attr "$f" step 5
rc=0; run 2 heat "${H[@]}" --checkpoint-dir ck --digest-file e.d >edit.out 2>edit.err || rc=$?
[ "$rc" != 0 ] || fail "an edited step was accepted: $(cat edit.out)"
grep -q "checkpoint-10.h5: integrity check failed" edit.out edit.err ||
  fail "edited step not named: $(cat edit.out edit.err)"
grep -q "delete it to start over" edit.out edit.err || fail "no fix named: $(cat edit.err)"
[ ! -e e.d ] || fail "a refused restart wrote a digest"
pass "an edited step attribute is refused (exit $rc) with the file and the fix named"

# The unedited copy continues to the uninterrupted run's digest.
run 2 heat "${H[@]}" --checkpoint-dir ck-good --restart --digest-file g.d >good.log ||
  fail "unedited restart: $(cat good.log)"
grep -q "continuing from the checkpoint of step 10" good.log || fail "$(cat good.log)"
[ "$(cat g.d)" = "$(cat ref.d)" ] || fail "restart digest $(cat g.d) != $(cat ref.d)"
pass "an unedited checkpoint restarts to the same digest"

# weather: scalar.time edited.
W=(--set nx=40 --set nz=20 --set sim_time=20)
rc=0; run 2 weather "${W[@]}" --checkpoint-dir wk --set stop_after=5 --digest-file w.d >/dev/null || rc=$?
[ "$rc" = 75 ] || fail "weather stop_after exit $rc"
wf=$(ls wk/checkpoint-*.h5)
edit_attr "$wf" scalar.time 1.0
rc=0; run 2 weather "${W[@]}" --checkpoint-dir wk --digest-file w2.d >w.out 2>w.err || rc=$?
[ "$rc" != 0 ] || fail "an edited scalar.time was accepted: $(cat w.out)"
grep -q "integrity check failed" w.out w.err || fail "$(cat w.out w.err)"
pass "an edited weather scalar.time is refused (exit $rc)"
