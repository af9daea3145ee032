#!/usr/bin/env bash
# Many dynamic nodes at once on one controller (docs/scaling.md); not in CI.
#
#   bench/pool/register_many.sh [--nodes N] [--port-base P] [--rpc-seconds S]
#   defaults: N=150 (local-pool's netns pool has addresses for 151 volunteer
#   hosts), port base 18400, S=20
#
# On a netns local pool (with the accounting database): N volunteers
# enrolled, N hosts added one by one (timed), then all N `basin pool join`
# started at once: time until every one is idle (a sinfo poll every 0.5 s),
# the slowest join as join reports it. With N+3 nodes registered: RSS of
# slurmctld, of a volunteer slurmd and munged; latency of squeue, sinfo,
# scontrol show nodes (10 each); client RPC throughput of the controller (2
# and 8 parallel `squeue` loops for S s each: calls/s) and sdiag's RPC
# statistics; then all N leave at once: time until the last is gone.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
N=150 PORT=18400 RPCS=20
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) N="$2"; shift 2 ;;
    --port-base) PORT="$2"; shift 2 ;;
    --rpc-seconds) RPCS="$2"; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) die "unknown option $1" ;;
  esac
done
OUT="$(mktemp -d /tmp/basin-bench-many-results.XXXXXX)"
log "results in $OUT"
mem_avail() { awk '/MemAvailable/ {printf "%.0f", $2/1024}' /proc/meminfo; }
m0="$(mem_avail)"
bp_up "$PORT" --slurmd-timeout 30
vols=()
for i in $(seq "$N"); do vols+=("mv$i"); done
t0=$(now)
for v in "${vols[@]}"; do bp_enrol "$v"; done
t1=$(now)
for v in "${vols[@]}"; do bp_host_add "$v"; done
t2=$(now)
log "enrolled $N in $(echo "$t1 - $t0" | bc -l | cut -c1-6) s, $N hosts added in $(echo "$t2 - $t1" | bc -l | cut -c1-6) s"
m1="$(mem_avail)"

t_join=$(now)
pids=()
for v in "${vols[@]}"; do bp_join "$v" & pids+=($!); done
all_idle=""
for _ in $(seq 600); do
  n="$(sinfo -h -N -o '%N %t' 2>/dev/null | sort -u | grep -c '^mv[0-9]* idle$' || true)"
  if [ "$n" -ge "$N" ]; then all_idle=$(now); break; fi
  sleep 0.5
done
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
t_joined=$(now)
[ -n "$all_idle" ] || die "not all $N idle after 300 s: $n idle"
for v in "${vols[@]}"; do bp_join_reported "$v"; done >"$OUT/join_reported"
sleep 5
m2="$(mem_avail)"
mine() { pgrep -x "$1" | while read -r p; do tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q "$POOL_DIR" && echo "$p"; done | paste -sd, -; }
rss() { ps -o rss= -p "$(mine "$1")" | awk -v n="$1" '{s+=$1; c++} END {printf "%s: %d processes, %.1f MB RSS each on average, %.0f MB in all", n, c, s/c/1024, s/1024}'; }
ctld_rss="$(ps -o rss= -p "$(pgrep -x slurmctld | while read -r p; do tr '\0' ' ' <"/proc/$p/cmdline" | grep -q "$POOL_DIR" && echo "$p"; done | head -1)" | awk '{printf "%.1f MB", $1/1024}')"

lat() {  # COMMAND... -> stats over 10 runs
  local i a b
  for i in $(seq 10); do
    a=$(now); "$@" >/dev/null 2>&1; b=$(now)
    echo "$b - $a" | bc -l
  done | bp_stats
}
l_squeue="$(lat squeue -h)"
l_sinfo="$(lat sinfo -h -N)"
l_show="$(lat scontrol show nodes)"
# An idle queue makes squeue cheap: put some jobs in it for the RPC test.
for i in $(seq 100); do sbatch --parsable -C dynamic -n 1 -o /dev/null --wrap 'srun sleep 120' >/dev/null; done
sleep 5
l_squeue_jobs="$(lat squeue -h)"
sdiag -r >/dev/null 2>&1 || true
rpc_rate() {  # P parallel squeue loops for RPCS s -> calls/s
  local p="$1" i
  rm -f "$OUT/rpc.$p.*"
  for i in $(seq "$p"); do
    ( end=$((SECONDS + RPCS)); c=0; while [ $SECONDS -lt $end ]; do squeue -h >/dev/null 2>&1 && c=$((c + 1)); done; echo $c >"$OUT/rpc.$p.$i" ) &
  done
  wait
  cat "$OUT"/rpc."$p".* | awk -v s="$RPCS" '{c+=$1} END {printf "%.1f", c/s}'
}
r2="$(rpc_rate 2)"
r8="$(rpc_rate 8)"
sdiag >"$OUT/sdiag.txt" 2>&1 || true
scancel -u root >/dev/null 2>&1 || true
sleep 3

t_leave=$(now)
pids=()
for v in "${vols[@]}"; do bp_leave "$v" & pids+=($!); done
all_gone=""
for _ in $(seq 600); do
  n="$(sinfo -h -N -o '%N' 2>/dev/null | sort -u | grep -c '^mv[0-9]*$' || true)"
  if [ "$n" = 0 ]; then all_gone=$(now); break; fi
  sleep 0.5
done
lfails=0
for p in "${pids[@]}"; do wait "$p" || lfails=$((lfails + 1)); done

echo "== $N dynamic nodes on one controller (netns local pool), $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "enrol $N: $(echo "$t1 - $t0" | bc -l | cut -c1-6) s; host add $N (namespace, veth, munged): $(echo "$t2 - $t1" | bc -l | cut -c1-6) s"
echo "join all $N at once: last idle after $(echo "$all_idle - $t_join" | bc -l | cut -c1-6) s (sinfo poll 0.5 s); all joins returned after $(echo "$t_joined - $t_join" | bc -l | cut -c1-6) s; failed: $fails"
echo "join, as each reports it (slurmd start to idle): $(bp_stats <"$OUT/join_reported")"
echo "leave all $N at once: last gone after $([ -n "$all_gone" ] && echo "$all_gone - $t_leave" | bc -l | cut -c1-6 || echo NA) s; failed: $lfails"
echo "memory: MemAvailable $m0 MB before the pool, $m1 MB with $N hosts (munged), $m2 MB with $N slurmd joined"
echo "slurmctld RSS with $((N + 3)) nodes: $ctld_rss; $(rss slurmd); $(rss munged)"
echo "latency with $((N + 3)) nodes, empty queue: squeue $l_squeue; sinfo -N $l_sinfo; scontrol show nodes $l_show"
echo "latency with 100 jobs queued/running: squeue $l_squeue_jobs"
echo "squeue calls/s ($RPCS s): 2 loops $r2, 8 loops $r8"
echo "sdiag (during the squeue loops):"
sed -n '/Remote Procedure Call statistics by message type/,/Remote Procedure Call statistics by user/p' "$OUT/sdiag.txt" | head -12
grep -E 'Server thread count|Agent queue size|Jobs submitted' "$OUT/sdiag.txt"
echo "(samples in $OUT)"
