# Shared by bench/pool/join_leave.sh and churn_soak.sh (not tests, not in CI):
# a netns local pool of the bench's own (port range 18200-18400, /tmp dirs
# basin-bench-pool.*), a pool.toml whose site home enrols volunteers, and
# helpers to enrol, add, join, leave and kill volunteer hosts, plus a sinfo
# poller that timestamps every node's state.
#
#   source bench/pool/lib.sh
#   bp_up PORT_BASE [local-pool up args]   # exports SLURM_CONF, POOL_DIR, ADMIN
#   bp_enrol V; bp_host_add V; bp_join V   # ... ; bp_leave V; bp_kill V
#   (bp_down runs from the EXIT trap)
set -euo pipefail
BP_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BP_BUILD="${BP_BUILD:-$BP_SRC/build}"
# A private copy of basin and the plugin: the build may be relinked while the
# bench runs (other work on the machine).
BP_BIN="${BP_BIN:-/tmp/basin-bench-bin.$$}"
if [ ! -x "$BP_BIN/cli/basin" ]; then
  mkdir -p "$BP_BIN/cli" "$BP_BIN/plugin"
  cp "$BP_BUILD/cli/basin" "$BP_BIN/cli/basin"
  cp "$BP_BUILD/plugin/basin_spank.so" "$BP_BIN/plugin/basin_spank.so"
fi
BASIN="$BP_BIN/cli/basin"
LOCAL_POOL="$BP_SRC/scripts/local-pool"
PLUGIN="$BP_BIN/plugin/basin_spank.so"
export BASIN_EXE="$BASIN"
POOL_DIR="" ADMIN="" BP_POLLER=""

now() { date +%s.%N; }
log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

# bp_pool_toml DIR: pool "local" with sites campus (institutional) and home
# (volunteer, with an enrolment key in DIR/keys/home.enrol.key), static nodes
# inst1 (campus), vol1 and vol2 (home); account physics (home, member root).
bp_pool_toml() {
  (
    cd "$1"
    "$BASIN" pool init --name local --cluster basin-local >/dev/null
    "$BASIN" pool add-site --name campus --tier institutional --core-second 40 --wall-second 1 >/dev/null
    "$BASIN" pool add-site --name home --tier volunteer --core-second 10 --mem-mb-second 1 >/dev/null
    for n in inst1:campus vol1:home vol2:home; do
      "$BASIN" pool add-node --name "${n%%:*}" --site "${n#*:}" --cpus 2 --memory-mb 2000 --gpus 0 >/dev/null
    done
    "$BASIN" pool add-account --name physics --home-site home --member root >/dev/null
    "$BASIN" pool enrolment-keygen --site home --secret "$1/keys/home.enrol.key" >/dev/null
    mkdir -p enrolled
  )
}

bp_up() {
  local port="$1"
  shift
  POOL_DIR="$(mktemp -d /tmp/basin-bench-pool.XXXXXX)"
  ADMIN="$POOL_DIR.admin"
  mkdir -p "$ADMIN"
  export POOL_DIR ADMIN
  trap bp_down EXIT
  trap "exit 143" TERM INT
  bp_pool_toml "$ADMIN"
  "$LOCAL_POOL" up --dir "$POOL_DIR" --port-base "$port" --hosts netns --plugin "$PLUGIN" \
    --pool-file "$ADMIN/pool.toml" --timeout 120 "$@" >"$ADMIN/up.log" 2>&1 ||
    die "local-pool up: $(tail -20 "$ADMIN/up.log")"
  export SLURM_CONF="$POOL_DIR/etc/slurm.conf"
}

bp_down() {
  local rc=$?
  trap - EXIT
  bp_poll_stop
  # Background joins/leaves of ours still running.
  local j
  for j in $(jobs -p); do kill "$j" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "$POOL_DIR" ]; then
    "$LOCAL_POOL" down --dir "$POOL_DIR" >/dev/null 2>&1 || { log "local-pool down failed"; rc=1; }
    if [ "${BP_KEEP:-0}" = 1 ] || [ $rc -ne 0 ]; then
      log "kept $POOL_DIR and $ADMIN"
    else
      rm -rf "$POOL_DIR" "$ADMIN"
    fi
  fi
  POOL_DIR=""
  [ "$BP_BIN" != "/tmp/basin-bench-bin.$$" ] || rm -rf "$BP_BIN"
  exit $rc
}

# Between phases: the pool down (and its dirs removed), no exit.
bp_down_keep_running() {
  bp_poll_stop
  "$LOCAL_POOL" down --dir "$POOL_DIR" >/dev/null 2>&1 || die "local-pool down failed"
  rm -rf "$POOL_DIR" "$ADMIN"
  POOL_DIR="" ADMIN=""
  trap - EXIT
}

# bp_enrol V: V's key in ADMIN/V/V.key, its certificate ADMIN/enrolled/V.cert.
bp_enrol() {
  local v="$1"
  mkdir -p "$ADMIN/$v" && chmod 700 "$ADMIN/$v"
  "$BASIN" records keygen --node "$v" --secret "$ADMIN/$v/$v.key" --public "$ADMIN/$v.pub" >/dev/null 2>&1
  "$BASIN" pool --file "$ADMIN/pool.toml" enrol --site home --site-secret "$ADMIN/keys/home.enrol.key" \
    --node "$v" --node-public "$ADMIN/$v.pub" --cpus 2 --memory-mb 2000 --valid 4h \
    --out "$ADMIN/enrolled/$v.cert" >/dev/null || die "enrol $v"
}

# Not safe in parallel (local-pool picks the next free address).
bp_host_add() { "$LOCAL_POOL" host add "$1" --dir "$POOL_DIR" >/dev/null || die "host add $1"; }
bp_host_del() { "$LOCAL_POOL" host del "$1" --dir "$POOL_DIR" >/dev/null 2>&1 || true; }

# bp_join V: join from V's host; output in ADMIN/V.join; status of join.
bp_join() {
  local v="$1"
  (cd "$ADMIN" && "$LOCAL_POOL" host exec "$v" --dir "$POOL_DIR" -- "$BASIN" pool --file "$ADMIN/pool.toml" join \
    --cert "$ADMIN/enrolled/$v.cert" --state-dir "$ADMIN/$v" --slurm-conf "$SLURM_CONF" \
    --plugin "$PLUGIN" --munge-socket "$POOL_DIR/munge/$v.socket" --timeout 120) >"$ADMIN/$v.join" 2>&1
}

bp_leave() { "$BASIN" pool leave --state-dir "$ADMIN/$1" --timeout 120 >"$ADMIN/$1.leave" 2>&1; }
bp_kill() { "$LOCAL_POOL" host kill "$1" --dir "$POOL_DIR" >/dev/null 2>&1; }

# The seconds join itself reports ("idle after X s").
bp_join_reported() { sed -n 's/.* after \([0-9.]*\) s$/\1/p' "$ADMIN/$1.join"; }

# bp_poll_start FILE [INTERVAL]: every INTERVAL s, "T <epoch>" then one
# "<node> <state>" line per node of sinfo, appended to FILE.
bp_poll_start() {
  local file="$1" iv="${2:-0.2}"
  (
    trap 'exit 0' TERM
    while :; do
      t="$(now)"
      s="$(sinfo -h -N -o '%N %t' 2>/dev/null | sort -u)" || s=""
      printf 'T %s\n%s\n' "$t" "$s"
      sleep "$iv"
    done
  ) >>"$file" &
  BP_POLLER=$!
}
bp_poll_stop() {
  [ -n "${BP_POLLER:-}" ] || return 0
  kill "$BP_POLLER" 2>/dev/null || true
  wait "$BP_POLLER" 2>/dev/null || true
  BP_POLLER=""
}

# bp_first POLLFILE NODE AFTER WHAT: the first poll time after AFTER at which
# NODE is WHAT: idle (idle, no flag), gone (not listed), down (down*, down).
bp_first() {
  awk -v node="$2" -v after="$3" -v what="$4" '
    function check() {
      if (t <= after || found) return
      if ((what == "gone" && !seen) || (what != "gone" && hit)) { printf "%.3f\n", t; found = 1 }
    }
    $1 == "T" { check(); t = $2 + 0; seen = 0; hit = 0; next }
    $1 == node {
      seen = 1
      if (what == "idle" && $2 == "idle") hit = 1
      if (what == "down" && $2 ~ /^down/) hit = 1
    }
    END { check(); if (!found) print "NA" }' "$1"
}

# bp_stats: lines of numbers on stdin -> "n=N median=M p99=P max=X".
bp_stats() {
  python3 -c '
import sys, statistics
v = sorted(float(x) for x in sys.stdin.read().split() if x != "NA")
if not v: print("n=0"); sys.exit()
p = lambda q: v[min(len(v) - 1, int(round(q * (len(v) - 1))))]
print("n=%d median=%.2f p99=%.2f max=%.2f min=%.2f" % (len(v), statistics.median(v), p(0.99), v[-1], v[0]))'
}
