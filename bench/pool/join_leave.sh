#!/usr/bin/env bash
# Join, leave and vanish on a netns local pool (issue #14); not in CI.
#
#   bench/pool/join_leave.sh [--volunteers K] [--batch B] [--kills N]
#                            [--timeouts "10 30"] [--port-base P]
#   defaults: K=20, B=10, N=6, timeouts 10 and 30, port base 18200
#   bench/pool/join_leave.sh --report RESULTS_DIR [same options]
#                            # the figures again from a run's saved samples
#
# Pool 1 (--slurmd-timeout = the first timeout; with the accounting database: --accounting-db no and --pool-file fail, TRESBillingWeights names GRES/gpu without AccountingStorageTRES): K
# volunteers enrolled by site home (basin pool enrol), each on a host of its
# own (local-pool host add), then
#   (a) join one after another, then in parallel batches of B: time from the
#       start of `basin pool join` (in the volunteer's host) to the node idle
#       in the pool, as join reports it and as a sinfo poll every 0.2 s sees
#       it from the controller's host;
#   (b) leave (basin pool leave) one after another, then all in parallel:
#       time from the start of leave to the node gone from sinfo (poll) and
#       to leave's exit;
# then for each timeout T (a fresh pool with --slurmd-timeout T):
#   (c) N volunteers join, then each host is SIGKILLed (local-pool host kill)
#       a random 0-2 s after the previous one: time from the SIGKILL to the
#       node DOWN in sinfo.
# Prints every sample file's median, 99th percentile and max. The pool is
# always brought down (trap), also on failure.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
K=20 B=10 N=6 TIMEOUTS="10 30" PORT=18200 REPORT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --volunteers) K="$2"; shift 2 ;;
    --batch) B="$2"; shift 2 ;;
    --kills) N="$2"; shift 2 ;;
    --timeouts) TIMEOUTS="$2"; shift 2 ;;
    --port-base) PORT="$2"; shift 2 ;;
    --report) REPORT="$2"; shift 2 ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) die "unknown option $1" ;;
  esac
done
OUT="${REPORT:-$(mktemp -d /tmp/basin-bench-jl-results.XXXXXX)}"
log "results in $OUT"
vols=()
for i in $(seq "$K"); do vols+=("jv$i"); done

# join_phase LABEL V...: join them in parallel (one at a time if one given).
join_some() {
  local v pids=() t0
  declare -A start
  for v in "$@"; do
    start[$v]="$(now)"
    bp_join "$v" &
    pids+=($!)
  done
  local i=0 rc=0
  for v in "$@"; do
    wait "${pids[$i]}" || { rc=1; log "join $v failed: $(cat "$ADMIN/$v.join")"; }
    echo "$v ${start[$v]} $(now) $(bp_join_reported "$v")" >>"$OUT/$label.joins"
    i=$((i + 1))
  done
  return $rc
}
leave_some() {
  local v pids=() i=0 rc=0
  declare -A start
  for v in "$@"; do
    start[$v]="$(now)"
    bp_leave "$v" &
    pids+=($!)
  done
  for v in "$@"; do
    wait "${pids[$i]}" || { rc=1; log "leave $v failed: $(cat "$ADMIN/$v.leave")"; }
    echo "$v ${start[$v]} $(now)" >>"$OUT/$label.leaves"
    i=$((i + 1))
  done
  return $rc
}
# report LABEL: medians from the event files and the poll.
report() {
  local label="$1"
  local poll="$OUT/$label.poll"
  rm -f "$OUT/$label".{join_reported,join_cmd,join_polled,leave_cmd,leave_polled,kill_down}
  if [ -f "$OUT/$label.joins" ]; then
    while read -r v t0 t1 rep; do
      echo "${rep:-NA}" >>"$OUT/$label.join_reported"
      echo "$t1 - $t0" | bc -l >>"$OUT/$label.join_cmd"
      t="$(bp_first "$poll" "$v" "$t0" idle)"
      [ "$t" = NA ] && echo NA || echo "$t - $t0" | bc -l
    done <"$OUT/$label.joins" >>"$OUT/$label.join_polled"
    printf '%-22s join, reported by join:        %s\n' "$label" "$(bp_stats <"$OUT/$label.join_reported")"
    printf '%-22s join, start to idle in sinfo:  %s\n' "$label" "$(bp_stats <"$OUT/$label.join_polled")"
    printf '%-22s join, command wall time:       %s\n' "$label" "$(bp_stats <"$OUT/$label.join_cmd")"
  fi
  if [ -f "$OUT/$label.leaves" ]; then
    while read -r v t0 t1; do
      echo "$t1 - $t0" | bc -l >>"$OUT/$label.leave_cmd"
      t="$(bp_first "$poll" "$v" "$t0" gone)"
      [ "$t" = NA ] && echo NA || echo "$t - $t0" | bc -l
    done <"$OUT/$label.leaves" >>"$OUT/$label.leave_polled"
    printf '%-22s leave, start to gone in sinfo: %s\n' "$label" "$(bp_stats <"$OUT/$label.leave_polled")"
    printf '%-22s leave, command wall time:      %s\n' "$label" "$(bp_stats <"$OUT/$label.leave_cmd")"
  fi
  if [ -f "$OUT/$label.kills" ]; then
    while read -r v t0; do
      t="$(bp_first "$poll" "$v" "$t0" down)"
      [ "$t" = NA ] && echo NA || echo "$t - $t0" | bc -l
    done <"$OUT/$label.kills" >>"$OUT/$label.kill_down"
    printf '%-22s SIGKILL to DOWN in sinfo:      %s\n' "$label" "$(bp_stats <"$OUT/$label.kill_down")"
  fi
}

reports() {
  report seq
  report "batch$B"
  report "leave_all$K"
  for T in $TIMEOUTS; do report "kill_t$T"; done
  echo "(samples in $OUT)"
}
if [ -n "$REPORT" ]; then
  rm -rf "$BP_BIN"
  cat "$OUT/header" 2>/dev/null || true
  reports
  exit 0
fi

first_t="${TIMEOUTS%% *}"
log "pool 1: netns, --slurmd-timeout $first_t, $K volunteers"
bp_up "$PORT" --slurmd-timeout "$first_t"
for v in "${vols[@]}"; do bp_enrol "$v"; bp_host_add "$v"; done
bp_poll_start "$OUT/seq.poll"
label=seq
for v in "${vols[@]}"; do join_some "$v" || die "sequential join"; done
[ "$(sinfo -h -N -o '%N %t' | sort -u | grep -c '^jv[0-9]* idle$')" = "$K" ] || die "not all $K idle: $(sinfo -N)"
log "sequential joins done; sequential leaves"
for v in "${vols[@]}"; do leave_some "$v" || die "sequential leave"; done
sleep 1
bp_poll_stop
label=batch$B
bp_poll_start "$OUT/$label.poll"
for ((i = 0; i < K; i += B)); do
  join_some "${vols[@]:i:B}" || die "join batch"
done
[ "$(sinfo -h -N -o '%N %t' | sort -u | grep -c '^jv[0-9]* idle$')" = "$K" ] || die "not all $K idle: $(sinfo -N)"
log "batch joins done; all $K leave at once"
mine() { pgrep -x "$1" | while read -r p; do tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q "$POOL_DIR" && echo "$p"; done | paste -sd, -; }
slurmd_rss="$(ps -o rss= -p "$(mine slurmd)" | awk '{s+=$1; n++} END {printf "%d slurmd, %.1f MB RSS each on average", n, s/n/1024}')"
munged_rss="$(ps -o rss= -p "$(mine munged)" | awk '{s+=$1; n++} END {printf "%d munged, %.1f MB RSS each", n, s/n/1024}')"
slurmd_rss="$slurmd_rss; $munged_rss"
log "$slurmd_rss"
label=batch$B
leave_some "${vols[@]}" || die "parallel leave"
sleep 1
bp_poll_stop
# The parallel leaves are reported under their own label.
mv "$OUT/batch$B.leaves" "$OUT/leave_all$K.leaves"
cp "$OUT/batch$B.poll" "$OUT/leave_all$K.poll"

for T in $TIMEOUTS; do
  if [ -z "$POOL_DIR" ]; then
    log "pool: netns, --slurmd-timeout $T"
    bp_up "$PORT" --slurmd-timeout "$T"
    for v in "${vols[@]:0:N}"; do bp_enrol "$v"; bp_host_add "$v"; done
  fi
  label=kill_t$T
  bp_poll_start "$OUT/$label.poll"
  join_some "${vols[@]:0:N}" || die "join before kill"
  rm -f "$OUT/$label.joins"
  sleep 2
  for v in "${vols[@]:0:N}"; do
    echo "$v $(now)" >>"$OUT/$label.kills"
    bp_kill "$v"
    sleep "$(python3 -c 'import random; print(round(random.uniform(0, 2), 2))')"
  done
  deadline=$((SECONDS + 3 * T + 60))
  while [ $SECONDS -lt $deadline ]; do
    [ "$(sinfo -h -N -o '%N %t' | sort -u | grep -c '^jv[0-9]* down')" -ge "$N" ] && break
    sleep 1
  done
  sleep 1
  bp_poll_stop
  bp_down_keep_running
done
trap - EXIT
rm -rf "$BP_BIN"
{
  echo "== join/leave/kill on a netns local pool, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "== K=$K volunteers, batch $B, kills $N, slurmd timeouts $TIMEOUTS; $slurmd_rss"
} | tee "$OUT/header"
reports
