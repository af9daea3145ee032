#!/usr/bin/env bash
# Churn soak on a netns local pool (issue #14); not in CI.
#
#   bench/pool/churn_soak.sh [--minutes M] [--hosts H] [--jobs J] [--sleep MIN-MAX]
#                            [--kill-percent P] [--slurmd-timeout T] [--port-base PORT]
#   bench/pool/churn_soak.sh --quick     # 2 minutes, 8 hosts, 40 jobs, sleeps 5-30 s
#   bench/pool/churn_soak.sh --check RESULTS_DIR   # the checks again on a run's
#                                                   # saved samples (pool kept: BP_KEEP=1)
#   defaults: 10 minutes, 24 hosts, 200 jobs, each `srun sleep S` with S uniform in
#   5-60 s, 20% of departures a SIGKILL, SlurmdTimeout 10, port base 18300
#
# H volunteer machines enrolled by site home, each a host of its own, join
# (basin pool join) and then each, on its own random schedule for M minutes:
# stays 20-90 s, then leaves cleanly (basin pool leave: drained, its jobs
# requeued) or vanishes (local-pool host kill, P% of departures: SIGKILL to
# everything on it; after 3 SlurmdTimeouts the machine "comes back": basin
# host is made again, munged restarted, basin pool leave deletes its DOWN node),
# is away 5-30 s and joins again. Meanwhile J jobs (sbatch --requeue -C
# dynamic -A physics, `srun sleep S`) are submitted evenly over the first 85% of the
# time. At the end every host joins again and the script waits for the queue
# to empty, then checks:
#   - jobs: every job's final state COMPLETED, or listed with its reason;
#     how many runs were requeued (sacct --duplicates);
#   - records: every COMPLETED job's final run (its highest restart count)
#     has its .batch and step usage records on its final node's spool (volunteers: STATE/spool; static
#     nodes: DIR/basin/NODE/spool); every step row in sacct --duplicates
#     that ended on a node that was not killed under it has a record;
#     no "LOST usage record" in any slurmd log;
#   - the controller: `squeue` timed every second throughout (max, 99th
#     percentile, samples over 1 s), sdiag at the end.
# Exits 1 if a job did not complete or a record is missing. The pool is
# always brought down (trap).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
MINUTES=10 H=24 J=200 SLEEP="5-60" KILLP=20 TIMEOUT=10 PORT=18300 CHECK=""
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) MINUTES="$2"; shift 2 ;;
    --hosts) H="$2"; shift 2 ;;
    --jobs) J="$2"; shift 2 ;;
    --sleep) SLEEP="$2"; shift 2 ;;
    --kill-percent) KILLP="$2"; shift 2 ;;
    --slurmd-timeout) TIMEOUT="$2"; shift 2 ;;
    --port-base) PORT="$2"; shift 2 ;;
    --quick) MINUTES=2 H=8 J=40 SLEEP="5-30"; shift ;;
    --check) CHECK="$2"; shift 2 ;;
    -h|--help) sed -n '2,36p' "$0"; exit 0 ;;
    *) die "unknown option $1" ;;
  esac
done
if [ -n "$CHECK" ]; then
  OUT="$CHECK" EV="$CHECK/events"
  # shellcheck disable=SC1091
  source "$OUT/params"
  rm -rf "$BP_BIN"
  trap - EXIT
  left=""
else
SMIN="${SLEEP%-*}" SMAX="${SLEEP#*-}"
OUT="$(mktemp -d /tmp/basin-bench-soak-results.XXXXXX)"
EV="$OUT/events"
log "results in $OUT; $MINUTES min, $H hosts, $J jobs (srun sleep $SMIN-$SMAX s), $KILLP% kills, SlurmdTimeout $TIMEOUT"
bp_up "$PORT" --slurmd-timeout "$TIMEOUT"
mkdir -m 777 "$ADMIN/out"
ev() { echo "$(now) $*" >>"$EV"; }
rand() { echo $(($1 + RANDOM % ($2 - $1 + 1))); }
vols=()
for i in $(seq "$H"); do vols+=("cv$i"); bp_enrol "cv$i"; bp_host_add "cv$i"; done
for v in "${vols[@]}"; do bp_join "$v" || die "first join of $v: $(cat "$ADMIN/$v.join")"; ev join "$v"; done
log "$H volunteers joined"

# squeue latency, every second, for the whole run.
(
  trap 'exit 0' TERM
  while :; do
    t0=$(now)
    if squeue -h >/dev/null 2>"$OUT/squeue.err.last"; then ok=ok; else ok=error; fi
    t1=$(now)
    echo "$t0 $(echo "$t1 - $t0" | bc -l) $ok"
    sleep 1
  done
) >"$OUT/squeue.lat" &
SAMPLER=$!

T_START=$SECONDS
T_END=$((SECONDS + MINUTES * 60))
lock="$ADMIN/hosts.lock"

# come_back V: a killed host is a machine that restarts: its DOWN node is
# deleted (basin pool leave), the host made again (new munged), then join.
# The host first (its munged: leave's scontrol authenticates with the
# node's own munge socket, as on the real machine after a reboot).
come_back() {
  local v="$1"
  flock -o "$lock" "$LOCAL_POOL" host del "$v" --dir "$POOL_DIR" >/dev/null 2>&1 || true
  flock -o "$lock" "$LOCAL_POOL" host add "$v" --dir "$POOL_DIR" >/dev/null 2>&1 || { ev host_add_fail "$v"; return 1; }
  bp_leave "$v" || ev leave_fail_after_kill "$v" "$(tail -1 "$ADMIN/$v.leave")"
}
host_loop() {
  local v="$1" tries
  while [ $SECONDS -lt $T_END ]; do
    sleep "$(rand 20 90)"
    [ $SECONDS -lt $T_END ] || break
    if [ "$(rand 1 100)" -le "$KILLP" ]; then
      ev kill "$v" "$(squeue -h -w "$v" -o %A 2>/dev/null | paste -sd, -)"
      bp_kill "$v" || true
      sleep $((3 * TIMEOUT))
      ev down_state "$v" "$(sinfo -h -N -n "$v" -o %t 2>/dev/null | sort -u | paste -sd, -)"
      come_back "$v" || continue
    else
      ev leave_start "$v"
      tries=0
      until bp_leave "$v"; do
        tries=$((tries + 1))
        ev leave_fail "$v" "$(tail -1 "$ADMIN/$v.leave")"
        [ $tries -lt 3 ] || break
        sleep 5
      done
      ev leave "$v" "$(tail -1 "$ADMIN/$v.leave")"
    fi
    sleep "$(rand 5 30)"
    tries=0
    until bp_join "$v"; do
      tries=$((tries + 1))
      ev join_fail "$v" "$(tail -1 "$ADMIN/$v.join")"
      [ $tries -lt 3 ] || break
      sleep 5
    done
    ev join "$v" "$(bp_join_reported "$v")"
  done
}
loops=()
for v in "${vols[@]}"; do host_loop "$v" & loops+=($!); done

# Jobs, evenly over the first 85% of the time.
gap="$(echo "$MINUTES * 60 * 0.85 / $J" | bc -l)"
for i in $(seq "$J"); do
  s="$(rand "$SMIN" "$SMAX")"
  id="$(sbatch --parsable --requeue -A physics -C dynamic -n 1 -J "soak$i" -o "$ADMIN/out/%j.out" \
    --wrap "srun sleep $s")" || { ev sbatch_fail "$i"; continue; }
  echo "$id $s" >>"$OUT/jobs"
  sleep "$gap"
done
log "$J jobs submitted; churn until $((MINUTES)) min"
for p in "${loops[@]}"; do wait "$p" || true; done
log "churn over ($(awk '{print $2}' "$EV" | sort | uniq -c | tr '\n' ' '))"

# Every host in the pool again, then the queue empties.
for v in "${vols[@]}"; do
  st="$(sinfo -h -N -n "$v" -o %t 2>/dev/null | sort -u | head -1)"
  case "$st" in
    idle|mix|alloc|idle*|mix*|alloc*) ;;
    "") bp_join "$v" || ev join_fail_end "$v" ;;
    *) come_back "$v"; bp_join "$v" || ev join_fail_end "$v" ;;
  esac
done
deadline=$((SECONDS + 900))
while [ -n "$(squeue -h -o %A)" ] && [ $SECONDS -lt $deadline ]; do
  # Jobs requeued wait for their begin time; let them start now.
  for id in $(squeue -h -t PD -o '%A %r' | awk '$2 == "BeginTime" {print $1}'); do
    scontrol update jobid="$id" StartTime=now >/dev/null 2>&1 || true
  done
  sleep 5
done
soak_s=$((SECONDS - T_START))
sleep 3
kill "$SAMPLER" 2>/dev/null || true
wait "$SAMPLER" 2>/dev/null || true
sdiag >"$OUT/sdiag.txt" 2>&1 || true
left="$(squeue -h -o '%A %T %r %N')"

# What --check needs to judge this run again.
declare -p MINUTES H J SMIN SMAX KILLP TIMEOUT soak_s POOL_DIR ADMIN | sed 's/^declare -[a-z-]* //' >"$OUT/params"
sacct -n -P -X -j "$(cut -d' ' -f1 "$OUT/jobs" | paste -sd, -)" -o JobIDRaw,State,NodeList,Reason \
  >"$OUT/sacct.final" 2>/dev/null || true
sacct -n -P --duplicates -j "$(cut -d' ' -f1 "$OUT/jobs" | paste -sd, -)" \
  -o JobIDRaw,JobID,State,NodeList,Start,End >"$OUT/sacct.all" 2>/dev/null || true
spools=("$POOL_DIR"/basin/*/spool "$ADMIN"/cv*/spool)
find "${spools[@]}" -name '*.basinrec*' -printf '%f\n' 2>/dev/null | sort >"$OUT/records"
fi
# ---- checks ----------------------------------------------------------------
fails=0
completed="$(awk -F'|' '$2 == "COMPLETED"' "$OUT/sacct.final" | wc -l)"
not_completed="$(awk -F'|' '$2 != "COMPLETED"' "$OUT/sacct.final")"
requeued_runs="$(awk -F'|' '$2 !~ /\./ && ($3 == "REQUEUED" || $3 == "NODE_FAIL")' "$OUT/sacct.all" | wc -l)"
requeued_jobs="$(awk -F'|' '$2 !~ /\./ && ($3 == "REQUEUED" || $3 == "NODE_FAIL") {print $1}' "$OUT/sacct.all" | sort -u | wc -l)"
nrec="$(wc -l <"$OUT/records")"
soak_rec="$(awk 'NR==FNR {j[$1]=1; next} {split($0, a, "."); if (a[1] in j) c++} END {print c + 0}' "$OUT/jobs" "$OUT/records")"
# The final run of each completed job: its .batch and a numbered step's
# records on its final node, with the job's highest restart count among all
# its records (sacct --duplicates does not list every run, nor the restart
# count of each: a run requeued before it started has no row, and a step row
# may name another run's node, so runs are told apart by the records).
missing_final=""
while IFS='|' read -r id st node _; do
  [ "$st" = COMPLETED ] || continue
  top="$(grep "^$id\." "$OUT/records" | sed 's/^[^.]*\.[^.]*\.r\([0-9]*\)\..*/\1/' | sort -n | tail -1)"
  grep -q "^$id\.batch\.r$top\.$node\.basinrec" "$OUT/records" || missing_final+="$id.batch@$node "
  grep -Eq "^$id\.[0-9]+\.r$top\.$node\.basinrec" "$OUT/records" || missing_final+="$id.step@$node "
done <"$OUT/sacct.final"
# killed_under NODE START END: NODE was SIGKILLed between START and END
# (sacct times; END may be Unknown).
killed_under() {
  local s e
  s="$(date -d "$2" +%s 2>/dev/null)" || return 1
  e="$(date -d "$3" +%s 2>/dev/null)" || e=9999999999
  awk -v n="$1" -v s="$s" -v e="$e" '$2 == "kill" && $3 == n && $1 >= s - 1 && $1 <= e + 1 {f = 1} END {exit !f}' "$EV"
}
# Every step row (batch, numbered) of every run in sacct --duplicates: a
# record of that step on that node, unless the node was killed under it.
step_rows=0 step_with=0 step_explained=0 step_missing=""
while IFS='|' read -r raw jid st node start end; do
  case "$jid" in *.batch|*.[0-9]*) ;; *) continue ;; esac
  id="${jid%%.*}" step="${jid#*.}"
  step_rows=$((step_rows + 1))
  if grep -q "^$id\.$step\.r[0-9]*\.$node\.basinrec" "$OUT/records"; then
    step_with=$((step_with + 1))
  elif [ "$st" != COMPLETED ] && killed_under "$node" "$start" "$end"; then
    step_explained=$((step_explained + 1))
  else
    step_missing+="$jid:$st@$node($start..$end) "
  fi
done <"$OUT/sacct.all"
lost="$(cat "$POOL_DIR"/log/slurmd*.log "$ADMIN"/cv*/slurmd.log 2>/dev/null | grep -c 'LOST usage record' || true)"
[ "$completed" = "$J" ] || fails=1
[ -z "$missing_final" ] || fails=1
[ -z "$step_missing" ] || fails=1
[ "$lost" = 0 ] || fails=1

echo "== churn soak on a netns local pool, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== $MINUTES min churn, $H volunteer hosts, $J jobs (srun sleep $SMIN-$SMAX s, --requeue -C dynamic), $KILLP% of departures SIGKILL, SlurmdTimeout $TIMEOUT; whole run $soak_s s"
echo "churn: $(awk '{print $2}' "$EV" | sort | uniq -c | awk '{printf "%s %s, ", $1, $2}')"
echo "jobs: $completed of $J COMPLETED; $requeued_jobs job(s) requeued at least once ($requeued_runs requeued/failed runs)"
[ -z "$not_completed" ] || { echo "jobs not COMPLETED (id|state|nodes|reason):"; echo "$not_completed"; }
[ -z "$left" ] || { echo "still in the queue:"; echo "$left"; }
echo "records: $nrec in the spools ($soak_rec of the soak's jobs); final runs of completed jobs missing a record: ${missing_final:-none}"
echo "records: sacct --duplicates step rows (batch, numbered) of all runs: $step_rows; with a record $step_with; no record, node SIGKILLed under the run: $step_explained; unexplained: ${step_missing:-none}"
echo "records: 'LOST usage record' in slurmd logs: $lost"
echo "squeue latency (1 sample/s): $(awk '{print $2}' "$OUT/squeue.lat" | bp_stats); over 1 s: $(awk '$2 > 1' "$OUT/squeue.lat" | wc -l); errors: $(grep -c ' error$' "$OUT/squeue.lat" || true)"
echo "sdiag: $(grep -E 'Server thread count|Agent queue size|Jobs submitted|Jobs completed|Jobs failed' "$OUT/sdiag.txt" | tr -s ' ' | paste -sd';' -)"
echo "(samples in $OUT)"
exit $fails
