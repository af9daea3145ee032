#!/usr/bin/env bash
# The plugin built with ASan + UBSan, loaded into real slurmstepd (and sbatch,
# srun): jobs through every hook (options, environment, checkpoint dir, digest
# read, tier refusal, a 2-node step, records) must produce no sanitizer report.
# Runs from the sanitizer build tree (BASIN_SANITIZE=ON), label slurm-asan.
source "$BASIN_SOURCE_DIR/tests/support/pool.sh"
# The compiler's shared ASan runtime (tests/plugin/CMakeLists.txt finds it).
asan_rt="${BASIN_ASAN_RUNTIME:?run from ctest in the sanitizer build (BASIN_SANITIZE=ON)}"
[ -f "$asan_rt" ] || fail "no shared ASan runtime at '$asan_rt' (for clang: apt-get install libclang-rt-14-dev)"
reports="$(mktemp -d /tmp/basin-asan-reports.XXXXXX)"
chmod 777 "$reports"
asan_opts="log_path=$reports/asan:detect_leaks=0:verify_asan_link_order=0:abort_on_error=0"
pool_up --slurmd-env "LD_PRELOAD=$asan_rt" --slurmd-env "ASAN_OPTIONS=$asan_opts" \
  --slurmd-env "UBSAN_OPTIONS=log_path=$reports/ubsan:print_stacktrace=1"
# The client commands load the plugin too.
export LD_PRELOAD="$asan_rt" ASAN_OPTIONS="$asan_opts" UBSAN_OPTIONS="log_path=$reports/ubsan"

# The refused --basin-account runs the option callback's refusal under ASan.
if sbatch -o /dev/null --basin-account=lab --wrap true 2>/dev/null; then fail "--basin-account accepted"; fi
id="$(sbatch --parsable -o "$POOL_DIR/a.out" -w vol1 --basin-tier=volunteer -A basin-default \
  --basin-replicas=2 --basin-checkpoint \
  --wrap 'srun sh -c "printf \"sha256:%064x\n\" 9 > \$BASIN_CHECKPOINT_DIR/basin-result-digest"')"
[ "$(wait_job "$id")" = COMPLETED ] || { cat "$POOL_DIR/a.out"; fail "job $id failed under ASan"; }
id="$(sbatch --parsable -o /dev/null -w vol1 --basin-tier=institutional --wrap true)"
[ "$(wait_job "$id")" = FAILED ] || fail "refusal under ASan did not fail the job"
id="$(sbatch --parsable -o /dev/null -N2 -C tier_volunteer --wrap 'srun -N2 -n2 true')"
state="$(wait_job "$id" 180)"
[ "$state" = COMPLETED ] ||
  fail "2-node job $id ended $state under ASan: $(scontrol show job "$id" | grep -E 'JobState|NodeList')"
sbatch --basin-replicas=7 --wrap true >/dev/null 2>&1 && fail "bad value accepted under ASan"
sleep 2
n="$(ls "$POOL_DIR"/basin/*/spool/*.basinrec | wc -l)"
[ "$n" -ge 6 ] || fail "only $n records written under ASan"
unset LD_PRELOAD
"$BASIN" records verify "$POOL_DIR"/basin/*/spool --keys "$POOL_DIR/etc/node-keys" >/dev/null ||
  fail "records written under ASan do not verify"
# Sanitizer reports from slurmd itself (not built with ASan) cannot occur; any
# report names our plugin's code.
if ls "$reports"/* >/dev/null 2>&1; then
  cat "$reports"/* >&2
  fail "sanitizer reports in slurmstepd or the client commands (above)"
fi
rm -rf "$reports"
pass "ASan/UBSan-built plugin in slurmstepd, sbatch and srun: $n records, no sanitizer report"
