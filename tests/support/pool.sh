# Shared by the Slurm tests: bring a local pool up in a fresh directory, bring
# it down on exit whatever happens, and small assertions.
#
#   source "$BASIN_SOURCE_DIR/tests/support/pool.sh"
#   pool_up [ARGS]     # exports SLURM_CONF, POOL_DIR; ARGS go to local-pool up
#   ...                # sbatch / srun against the pool
#   (pool_down runs from the EXIT trap and checks nothing is left running)
set -euo pipefail

: "${BASIN_SOURCE_DIR:?set BASIN_SOURCE_DIR to the source tree}"
: "${BASIN_BUILD_DIR:?set BASIN_BUILD_DIR to the build tree}"
# Tests use their own port range so a pool a person has up is not disturbed.
POOL_PORT="${BASIN_TEST_POOL_PORT:-16850}"
# A test's pools use PORT..PORT+199 (a second cluster PORT+100..). A program
# outside the tests may already listen on one of them (a CI machine's own
# service once took PORT+50): then the test moves its whole range up by 5000
# (ranges of different tests stay apart: they are 200 apart and move alike).
pool_range_taken() { ss -Hltn "sport >= :$1 and sport <= :$(($1 + 199))" 2>/dev/null; }
# move_pool_range WHY: the test's whole range up by 5000, saying why.
move_pool_range() {
  echo "note: ports $POOL_PORT..$((POOL_PORT + 199)): $1: this test moves to $((POOL_PORT + 5000))" >&2
  POOL_PORT=$((POOL_PORT + 5000))
}
for _ in 1 2 3; do
  taken="$(pool_range_taken "$POOL_PORT")"
  [ -n "$taken" ] || break
  move_pool_range "partly in use ($(awk '{print $4}' <<<"$taken" | paste -sd ' '))"
done
unset taken
LOCAL_POOL="$BASIN_SOURCE_DIR/scripts/local-pool"
BASIN="$BASIN_BUILD_DIR/cli/basin"

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

pool_up() {
  local attempt rc
  for attempt in 1 2 3; do
    POOL_DIR="$(mktemp -d /tmp/basin-test-pool.XXXXXX)"
    export POOL_DIR
    trap pool_down EXIT
    # sbatch loads the plugin as the submitting user: when the build tree is
    # closed to other users (a checkout under a mode-0700 directory), the pool
    # gets its own readable copy; slurmd (root) loads the same file.
    local plugin="$BASIN_BUILD_DIR/plugin/basin_spank.so"
    if ! runuser -u nobody -- test -r "$plugin" 2>/dev/null; then
      install -D -m 0755 "$plugin" "$POOL_DIR/lib/basin_spank.so"
      chmod o+x "$POOL_DIR" "$POOL_DIR/lib"
      plugin="$POOL_DIR/lib/basin_spank.so"
      export BASIN_EXE="$BASIN_BUILD_DIR/cli/basin"
    fi
    rc=0
    "$LOCAL_POOL" up --dir "$POOL_DIR" --port-base "$POOL_PORT" \
      --plugin "$plugin" --timeout 90 "$@" >/dev/null || rc=$?
    # Exit 3: a daemon found its port taken by a program that bound it after
    # the range was checked, or by a socket `ss -l` does not show (CI machines
    # run services of their own). Not this test's failure: down, and the
    # whole range moves up.
    if [ $rc -eq 3 ] && [ $attempt -lt 3 ]; then
      trap - EXIT
      "$LOCAL_POOL" down --dir "$POOL_DIR" >/dev/null 2>&1 || true
      [ -z "$(pool_leftovers)" ] || pool_down 1
      rm -rf "$POOL_DIR"
      move_pool_range "one was taken while the pool came up"
      continue
    fi
    [ $rc -eq 0 ] || exit $rc
    break
  done
  export SLURM_CONF="$POOL_DIR/etc/slurm.conf"
}

# Processes of this pool that are still alive (zombies have ended).
pool_leftovers() {
  local p cmdline
  for p in /proc/[0-9]*; do
    grep -qszxF "BASIN_POOL_MARKER=$POOL_DIR" "$p/environ" 2>/dev/null || continue
    # ([ -s ] is always false on /proc files: read the command line.)
    cmdline="$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)" || continue
    [ -n "$cmdline" ] && echo "${p#/proc/} $cmdline"
  done
  return 0
}

pool_down() {
  local rc=${1:-$?}
  trap - EXIT
  if [ $rc -ne 0 ] && [ -d "${POOL_DIR:-}/log" ]; then
    echo "--- pool logs (test failed) ---" >&2
    tail -n 30 "$POOL_DIR"/log/*.log >&2 || true
  fi
  "$LOCAL_POOL" down --dir "$POOL_DIR" >/dev/null || rc=1
  local left
  left="$(pool_leftovers)"
  if [ -n "$left" ]; then
    echo "FAIL: processes left running after pool down:" >&2
    echo "$left" >&2
    rc=1
  fi
  [ $rc -eq 0 ] && rm -rf "$POOL_DIR"
  exit $rc
}

# wait_job JOBID [SECONDS]: wait until the job has ended; prints its state.
# A requeued job waits for its begin time; once it is PENDING again, let it
# start now.
release_requeued() {
  local id="$1" st=""
  for _ in $(seq 60); do
    st="$(scontrol show job "$id" | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')"
    [ "$st" = PENDING ] && break
    sleep 0.5
  done
  # A node refuses a credential made in the same second as the revocation of
  # the job's previous run ("Job credential revoked", slurm_cred.c compares
  # whole seconds); Slurm's own requeue delay avoids that. Wait until no node
  # is still completing the old run, then one more second.
  for _ in $(seq 60); do
    sinfo -h -o %T | grep -q completing || break
    sleep 0.5
  done
  sleep 1.5
  scontrol update jobid="$id" StartTime=now >/dev/null 2>&1 || true
}

wait_job() {
  local id="$1" secs="${2:-120}" state=""
  local deadline=$((SECONDS + secs))
  while [ $SECONDS -lt $deadline ]; do
    state="$(scontrol show job "$id" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')"
    case "$state" in
      COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|PREEMPTED|BOOT_FAIL|DEADLINE)
        echo "$state"; return 0 ;;
    esac
    sleep 1
  done
  echo "TIMEOUT_WAITING($state)"
}

# pool_toml DIR [HOME_MEM_RATE [INST1_GPUS]]: in DIR, the pool.toml of the
# local pool as an admin writes it with `basin pool`: pool "local" (cluster
# basin-local), site campus (institutional, 40 micro-credits per core-second,
# 1 per wall second) with node inst1, site home (volunteer, 10 per
# core-second, HOME_MEM_RATE [1] per MB-second) with vol1 and vol2; keys in
# DIR/keys. Accounts are the caller's to add.
pool_toml() {
  local dir="$1" mem="${2:-1}" gpus="${3:-0}" n name site g
  (
    cd "$dir"
    "$BASIN" pool init --name local --cluster basin-local >/dev/null
    "$BASIN" pool add-site --name campus --tier institutional --core-second 40 --wall-second 1 >/dev/null
    "$BASIN" pool add-site --name home --tier volunteer --core-second 10 --mem-mb-second "$mem" >/dev/null
    for n in "inst1:campus:$gpus" vol1:home:0 vol2:home:0; do
      IFS=: read -r name site g <<<"$n"
      "$BASIN" pool add-node --name "$name" --site "$site" --cpus 2 --memory-mb 2000 --gpus "$g" >/dev/null
    done
  )
}

# pool_toml_with_node_keys DIR: DIR/pool.toml for the local pool whose nodes
# keep the keys local-pool gave them (sites campus for inst*, home for the
# rest; 2 CPUs and 2000 MB each), as `basin ledger ingest/validate` need to
# re-check the nodes' signatures.
pool_toml_with_node_keys() {
  (
    cd "$1"
    "$BASIN" pool init --name local --cluster basin-local >/dev/null
    "$BASIN" pool add-site --name campus --tier institutional --core-second 40 >/dev/null
    "$BASIN" pool add-site --name home --tier volunteer --core-second 10 >/dev/null
    local node key site
    while read -r node key; do
      case "$node" in inst*) site=campus ;; *) site=home ;; esac
      printf "\n[[node]]\nname = '%s'\nsite = '%s'\npublic_key = '%s'\ncpus = 2\nmemory_mb = 2000\n" \
        "$node" "$site" "${key#ed25519:}" >>pool.toml
    done < <(grep -v '^#' "$POOL_DIR/etc/node-keys")
    "$BASIN" pool check >/dev/null
  )
}

# wait_progress LOG RUN PCT [SECONDS]: wait until run RUN of a heat job
# (examples/heat.sbatch's "run RUN on" line in LOG) reports at least PCT % of
# its steps ("heat: step N/M (P%)"). Tests interrupt jobs by their progress,
# not by a guess of their speed: a loaded machine runs them at any speed.
wait_progress() {
  local log="$1" run="$2" pct="$3" secs="${4:-300}" p
  local deadline=$((SECONDS + secs))
  while [ $SECONDS -lt $deadline ]; do
    p="$(awk -v r="run $run on" 'index($0, r) { on = 1 } on && /heat: step [0-9]+\/[0-9]+ \([0-9]+%\)/ {
           s = $0; sub(/.*\(/, "", s); sub(/%.*/, "", s); last = s } END { print last }' "$log" 2>/dev/null)"
    [ -n "$p" ] && [ "$p" -ge "$pct" ] && return 0
    sleep 0.1
  done
  return 1
}
