#!/usr/bin/env bash
# Rooflines of the runtime's workloads on this machine, in one run:
#  1. STREAM-style triad bandwidth (GB/s, 24 bytes per element), twice: with
#     ordinary stores (B, whose write-allocate reads STREAM does not count)
#     and with streaming stores (Bs: nothing read that is not counted);
#  2. heat: 7-point stencil, 16 bytes per cell update (read T, write T_next
#     with streaming stores; the neighbours come from cache), roofline =
#     Bs / 16 cell updates/s: the same kind of stores as the triad it is
#     held against; and against a streaming-store copy (C, one read a write:
#     heat's own mix), roofline C / 16. Heat keeps ordinary stores where they
#     step faster (its summary says which); then a cell update moves 24
#     bytes (the write-allocate read of T_next too), and the script also
#     gives that traffic as a share of Bs, the bandwidth nothing hides from;
#     and, round by round, heat against the triad of the same round (the
#     best of each may come from different rounds when others share the
#     memory);
#  3. poisson (Jacobi preconditioner): one CG iteration touches 136 bytes per
#     cell counted as STREAM counts (q = A p: 16; p.q: 16; u += a p, r -= a q
#     with r.r: 48; z = r / diag: 16; r.z: 16; p = z + b p: 24), all with
#     ordinary stores, so held against B (counted alike); its 5 stored arrays
#     also cost 40 write-allocate bytes a cell that neither count includes;
#  4. output, checkpoint and digest share of a heat run (128^3, 5556 steps) at
#     the default output interval (500 steps) with a checkpoint every 2 s.
# Usage: bench/runtime/roofline.sh BUILD_DIR [ranks] [threads per rank]
set -euo pipefail
build="$(realpath "${1:?usage: roofline.sh BUILD_DIR [ranks] [threads]}")"
ranks="${2:-1}" threads="${3:-2}"
basin="$build/cli/basin"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
work="$(mktemp -d /tmp/basin-roofline.XXXXXX)"
trap 'rm -rf "$work"' EXIT
run() { mpirun -n "$ranks" --bind-to none --oversubscribe "$basin" run "$@"; }
rate() { sed -n "s#.* = \([0-9.e+]*\) cell updates/s.*#\1#p"; }

# Three alternating rounds, best of each: on a shared machine the best round
# is the one least disturbed, and triad and stencils see the same conditions.
best() { sort -g | tail -1; }
triads=() ntriads=() copies=() heats=() stores=() cgs=()
for round in 1 2 3; do
  line="$("$build/bench/runtime/basin_stream_triad" 256 $((ranks * threads)))"
  triads+=("$(awk '{print $2}' <<<"$line")")
  ntriads+=("$(awk '{print $8}' <<<"$line")")
  copies+=("$(awk '{print $10}' <<<"$line")")
  out="$(run heat --set nx=256 --set ny=256 --set nz=256 --set sim_time=4 \
    --set threads="$threads" --digest-file "$work/d")"
  heats+=("$(rate <<<"$out")")
  stores+=("$(sed -n 's#.*stores: streaming on \([0-9]*\) of \([0-9]*\) rank.*#\1/\2#p' <<<"$out")")
  cgs+=("$(run poisson --set nx=192 --set ny=192 --set nz=192 --set tolerance=1e-300 \
    --set preconditioner=jacobi --set max_iterations=60 --set threads="$threads" --digest-file "$work/d" | rate)")
done
triad="$(printf '%s\n' "${triads[@]}" | best)"
ntriad="$(printf '%s\n' "${ntriads[@]}" | best)"
copy="$(printf '%s\n' "${copies[@]}" | best)"
heat="$(printf '%s\n' "${heats[@]}" | best)"
# The stores of the round that gave the best heat rate.
heat_stores=""
for i in "${!heats[@]}"; do [ "${heats[$i]}" = "$heat" ] && heat_stores="${stores[$i]}"; done
cg="$(printf '%s\n' "${cgs[@]}" | best)"
echo "rounds: triad ${triads[*]} GB/s; streaming triad ${ntriads[*]} GB/s;" \
  "streaming copy ${copies[*]} GB/s;" \
  "heat ${heats[*]}; poisson ${cgs[*]} cell updates/s"
io="$(cd "$work" && run heat --set threads="$threads" --set sim_time=500 --output heat.nc \
  --checkpoint-dir ck --set checkpoint_every=2 --digest-file d |
  sed -n 's/.*I\/O \([0-9.]*\) s (\([0-9.]*\)%).*/\1 s, \2%/p')"

python3 - "$triad" "$heat" "$cg" "$io" "$ranks" "$threads" "$ntriad" "$copy" "$heat_stores" \
  "${ntriads[*]}" "${heats[*]}" <<'PY'
import sys
triad, heat, cg = (float(x) for x in sys.argv[1:4])
io, ranks, threads = sys.argv[4], sys.argv[5], sys.argv[6]
ntriad, copy = float(sys.argv[7]), float(sys.argv[8])
streaming, of = (int(x) for x in sys.argv[9].split("/"))
# Each round's heat against the streaming triad of the same round: on a
# machine whose memory others share, the best of each (below) may come from
# different rounds; these ratios show the spread under like conditions.
rounds = [f"{100 * float(h) * 16 / 1e9 / float(t):.0f}%"
          for t, h in zip(sys.argv[10].split(), sys.argv[11].split())]
print(f"ranks x threads            {ranks} x {threads}")
print(f"triad bandwidth            {triad:.2f} GB/s (ordinary stores), "
      f"{ntriad:.2f} GB/s (streaming stores); streaming copy {copy:.2f} GB/s")
h_bw = heat * 16 / 1e9
print(f"heat  256^3                {heat:.4g} cell updates/s = {h_bw:.2f} GB/s "
      f"= {100 * h_bw / ntriad:.0f}% of the streaming-store roofline ({ntriad * 1e9 / 16:.4g}/s); "
      f"{100 * h_bw / triad:.0f}% of the ordinary-store one; "
      f"{100 * h_bw / copy:.0f}% of the streaming copy ({copy * 1e9 / 16:.4g}/s)")
print(f"heat, round by round       {', '.join(rounds)} of that round's streaming-store roofline")
h_bytes = 16 + 8 * (of - streaming) / of
print(f"heat's own traffic         stores streaming on {streaming} of {of} rank(s): "
      f"{h_bytes:.0f} B a cell update = {heat * h_bytes / 1e9:.2f} GB/s "
      f"= {100 * heat * h_bytes / 1e9 / ntriad:.0f}% of the streaming-store triad")
c_bw = cg * 136 / 1e9
print(f"poisson CG 192^3           {cg:.4g} cell iterations/s = {c_bw:.2f} GB/s "
      f"= {100 * c_bw / triad:.0f}% of the ordinary-store roofline ({triad * 1e9 / 136:.4g}/s); "
      f"with its write-allocate traffic (176 B a cell) {cg * 176 / 1e9:.2f} GB/s "
      f"= {100 * cg * 176 / 1e9 / ntriad:.0f}% of the streaming-store triad")
print(f"heat 128^3, 5556 steps      I/O {io} of the run (output every 500 steps = the default, "
      "a checkpoint every 2 s, the digest)")
PY
