#!/usr/bin/env bash
# Weather vs miniWeather's MPI C version, same machine, same run, alternating.
#
# Usage: bench/weather/compare_miniweather.sh PEER_EXE [REPEATS] [BUILD_DIR]
#   PEER_EXE   miniWeather_mpi built for thermal 400 x 200, 100 s (its compile-time
#              settings: -D_NX=400 -D_NZ=200 -D_SIM_TIME=100 -D_DATA_SPEC=DATA_SPEC_THERMAL)
#   REPEATS    pairs of runs (default 5); medians are reported
#   BUILD_DIR  Basin build directory holding cli/basin (default ./build)
# Both run on 2 MPI ranks with one thread per rank (2 ranks already fill 2 cores).
# Basin runs as `basin run weather` without output (as the peer); its rate is
# the driver's "stepping" figure (the step loop, as miniWeather times itself).
# Reports cell-steps/s of each (step loops), the whole processes' wall times
# (mpirun to exit: start-up, initialisation, MPI_Finalize), the ratios of
# medians, and both codes' relative mass and total-energy changes.
set -euo pipefail
peer=${1:?usage: compare_miniweather.sh PEER_EXE [REPEATS] [BUILD_DIR]}
repeats=${2:-5}
build=${3:-build}
ours=$build/cli/basin
[[ -x $peer ]] || { echo "peer executable '$peer' not found or not executable" >&2; exit 2; }
[[ -x $ours ]] || { echo "'$ours' not found: build Basin first (cmake --build $build)" >&2; exit 2; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpi=(mpirun -n 2 --bind-to none)
nx=400 nz=200 sim=100

peer_out=$("${mpi[@]}" "$peer")
grep -q "nx_glob, nz_glob: $nx $nz" <<<"$peer_out" ||
  { echo "peer was not built for $nx x $nz (see usage)" >&2; exit 2; }
dt=$(awk '/^dt:/ {print $2}' <<<"$peer_out")
steps=$(awk -v s=$sim -v d="$dt" 'BEGIN {n = s / d; printf "%d", (n == int(n)) ? n : int(n) + 1}')

peer_rates=() our_rates=() peer_walls=() our_walls=()
now() { date +%s.%N; }
for ((r = 0; r < repeats; r++)); do
  t0=$(now)
  p=$("${mpi[@]}" "$peer")
  peer_walls+=("$(awk -v a="$t0" -v b="$(now)" 'BEGIN {printf "%.3f", b - a}')")
  t=$(awk '/CPU Time:/ {print $3}' <<<"$p")
  peer_rates+=("$(awk -v c=$((nx * nz * steps)) -v t="$t" 'BEGIN {printf "%.4e", c / t}')")
  t0=$(now)
  o=$("${mpi[@]}" "$ours" run weather --set case=thermal --set nx=$nx --set nz=$nz \
    --set sim_time=$sim --set threads=1)
  our_walls+=("$(awk -v a="$t0" -v b="$(now)" 'BEGIN {printf "%.3f", b - a}')")
  our_rates+=("$(sed -n 's/.*stepping [0-9.]* s = \([0-9.e+-]*\) cell updates\/s.*/\1/p' <<<"$o")")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
pm=$(median "${peer_rates[@]}")
om=$(median "${our_rates[@]}")
echo "miniWeather MPI C cell-steps/s: ${peer_rates[*]}  median $pm"
echo "Basin weather    cell-steps/s: ${our_rates[*]}  median $om"
awk -v a="$om" -v b="$pm" 'BEGIN {printf "ratio (Basin / miniWeather): %.2f\n", a / b}'
pw=$(median "${peer_walls[@]}")
ow=$(median "${our_walls[@]}")
echo "whole processes, wall s: miniWeather ${peer_walls[*]}  median $pw; Basin ${our_walls[*]}  median $ow"
awk -v a="$pw" -v b="$ow" 'BEGIN {printf "whole-process ratio (miniWeather time / Basin time): %.2f\n", a / b}'
echo "miniWeather: $(grep -E 'd_mass|d_te' <<<"$p" | tr -s ' ' | tr '\n' ' ')"
echo "Basin:       $(grep -o 'd_mass=.*' <<<"$o")"
