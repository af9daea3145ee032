#!/usr/bin/env bash
# lend_window.sh: how long a lent node takes to leave the pool when its lend
# window closes (issue #14's "from a lend window's end to the node gone").
# Not a test, not in CI.
#
# A netns pool (port base 18600) and beside it a site cluster of its own
# (port base 18700, slurmd on 6828, --kill-wait 30, a route to the pool's
# controller); site campus lends N nodes (basin pool lend --window W --lead L:
# a pilot job each, time limit W, SIGUSR1 L seconds before its end, which
# Slurm may send up to a minute early). Every 0.2 s it samples the pool's
# sinfo and each pilot's output, and prints per node: lend to idle, the
# pilot's warning signal to gone (0 when both fall in one 0.2 s sample), and
# gone relative to the window's end (negative: before it), with the median
# and max over the nodes.
#
#   bench/pool/lend_window.sh [--nodes 3] [--window 2m] [--lead 30]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
nodes=3 window=2m lead=30
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) nodes="$2"; shift 2 ;;
    --window) window="$2"; shift 2 ;;
    --lead) lead="$2"; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1" ;;
  esac
done
[ "$nodes" -le 3 ] || die "the site cluster has 3 nodes: --nodes at most 3"

bp_up 18600 --slurmd-timeout 10
ctl="$(sed -n 's/^SlurmctldHost=.*(\(.*\))$/\1/p' "$SLURM_CONF")"
SITE="$POOL_DIR.site"
site_down() { "$LOCAL_POOL" down --dir "$SITE" >/dev/null 2>&1 || true; rm -rf "$SITE"; }
trap 'rc=$?; site_down; (exit $rc) || bp_down; bp_down' EXIT
"$LOCAL_POOL" up --dir "$SITE" --port-base 18700 --hosts netns --accounting-db no \
  --slurmd-port 6828 --kill-wait 30 --reach "$ctl" --plugin "$PLUGIN" >"$ADMIN/site-up.log" 2>&1 ||
  die "site cluster: $(tail -5 "$ADMIN/site-up.log")"
for n in inst1 vol1 vol2; do "$LOCAL_POOL" munged "lend-$n" --dir "$POOL_DIR" >/dev/null; done
"$BASIN" pool --file "$ADMIN/pool.toml" enrolment-keygen --site campus \
  --secret "$ADMIN/keys/campus.enrol.key" >/dev/null

t0="$(now)"
SLURM_CONF="$SITE/etc/slurm.conf" "$BASIN" pool --file "$ADMIN/pool.toml" lend --site campus \
  --site-secret "$ADMIN/keys/campus.enrol.key" --nodes "$nodes" --window "$window" --lead "$lead" \
  --cpus 2 --memory-mb 2000 --pool-slurm-conf "$SLURM_CONF" --state-root "$ADMIN/lend" \
  --munge-socket "$POOL_DIR/munge/lend-%n.socket" --plugin "$PLUGIN" --basin "$BASIN" \
  >"$ADMIN/lend.out" || die "lend: $(cat "$ADMIN/lend.out")"
log "lent $nodes node(s), window $window, lead $lead s"
declare -A idle_at signal_at gone_at
names=()
for k in $(seq "$nodes"); do names+=("campus-lend$k"); done
deadline=$(( $(date +%s) + $(("${window%m}" * 60)) + 120 ))
while [ "$(date +%s)" -lt "$deadline" ]; do
  t="$(now)"
  # (A busy controller may not answer one poll: the next one counts.)
  present="$(sinfo -h -N -o '%N %t' 2>/dev/null | sort -u || true)"
  left=0
  for n in "${names[@]}"; do
    if grep -q "^$n idle" <<<"$present" && [ -z "${idle_at[$n]:-}" ]; then idle_at[$n]="$t"; fi
    if [ -z "${signal_at[$n]:-}" ] && grep -q "^signal" "$ADMIN/lend/$n/pilot.out" 2>/dev/null; then
      signal_at[$n]="$t"
    fi
    if [ -n "${idle_at[$n]:-}" ] && [ -z "${gone_at[$n]:-}" ] && ! grep -q "^$n " <<<"$present"; then
      gone_at[$n]="$t"
    fi
    [ -n "${gone_at[$n]:-}" ] || left=1
  done
  [ $left = 0 ] && break
  sleep 0.2
done
# The window's end: each pilot's start (scontrol on the site's controller,
# which keeps ended jobs for MinJobAge) plus its time limit.
report() {
  # (The program as -c: python's stdin is the table.)
  python3 -c '
import statistics, sys
rows = [l.split() for l in sys.stdin if l.strip()]
for name, col in (("lend to idle", 1), ("warning signal to gone", 2), ("gone minus window end", 3)):
    v = [float(r[col]) for r in rows if r[col] != "-"]
    if v:
        print(f"{name:26s} median {statistics.median(v):7.2f} s   max {max(v):7.2f} s   n {len(v)}")
'
}
{
  for n in "${names[@]}"; do
    id="$(sed -n "s/^lent $n: pilot job \([0-9]*\) .*/\1/p" "$ADMIN/lend.out")"
    info="$(SLURM_CONF="$SITE/etc/slurm.conf" scontrol show job "$id" 2>/dev/null || true)"
    start="$(sed -n 's/.*StartTime=\([^ ]*\).*/\1/p' <<<"$info")"
    start="${start%%$'\n'*}"
    limit_s=$(("${window%m}" * 60))
    start_s="$(date -d "$start" +%s 2>/dev/null || echo "")"
    idle="-" sig="-" rel="-"
    [ -z "${idle_at[$n]:-}" ] || idle="$(python3 -c "print(${idle_at[$n]} - $t0)")"
    [ -z "${signal_at[$n]:-}" ] || [ -z "${gone_at[$n]:-}" ] ||
      sig="$(python3 -c "print(${gone_at[$n]} - ${signal_at[$n]})")"
    [ -z "$start_s" ] || [ -z "${gone_at[$n]:-}" ] ||
      rel="$(python3 -c "print(${gone_at[$n]} - ($start_s + $limit_s))")"
    echo "$n $idle $sig $rel"
  done
} | tee "$ADMIN/lend-window.txt" | report
cat "$ADMIN/lend-window.txt" >&2
for n in "${names[@]}"; do [ -n "${gone_at[$n]:-}" ] || die "$n never left the pool"; done
