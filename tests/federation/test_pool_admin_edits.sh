#!/usr/bin/env bash
# basin pool: concurrent admin edits do not lose each other (the lock beside
# pool.toml), and `basin pool status` without a reachable controller says so
# and fails.
#   test_pool_admin_edits.sh BASIN
set -euo pipefail
BASIN="${1:?usage: test_pool_admin_edits.sh BASIN}"
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }
work="$(mktemp -d /tmp/basin-pool-edits.XXXXXX)"
trap 'rm -rf "$work"' EXIT
cd "$work"
"$BASIN" pool init --name edits --cluster edits >/dev/null
"$BASIN" pool add-site --name home --tier volunteer --core-second 10 >/dev/null

pids=()
for i in $(seq 10); do
  "$BASIN" pool add-node --name "n$i" --site home --cpus 2 --memory-mb 1000 >"add.$i.out" 2>&1 &
  pids+=($!)
done
for i in $(seq 10); do wait "${pids[$((i - 1))]}" || fail "add-node n$i: $(cat "add.$i.out")"; done
"$BASIN" pool check >check.out || fail "pool check: $(cat check.out)"
[ "$(grep -c '^\[\[node\]\]' pool.toml)" -eq 10 ] ||
  fail "10 concurrent add-node kept $(grep -c '^\[\[node\]\]' pool.toml) nodes"
[ "$(ls keys/n*.key | wc -l)" -eq 10 ] || fail "keys: $(ls keys)"
for i in $(seq 10); do
  grep -q "^name = 'n$i'\$" pool.toml || fail "node n$i lost"
done
[ -z "$(ls -A | grep '^\.pool\.toml\.[^l]')" ] || fail "temporary files left: $(ls -A)"
pass "10 concurrent add-node: 10 nodes and 10 keys kept ($(cat check.out))"

pids=()
"$BASIN" pool add-account --name physics --home-site home >/dev/null
for u in alice bob carol dave erin; do
  "$BASIN" pool add-member --account physics --user "$u" >/dev/null 2>&1 &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "add-member failed"; done
[ "$(grep '^members' pool.toml | tr ',' '\n' | wc -l)" -eq 5 ] ||
  fail "5 concurrent add-member kept: $(grep '^members' pool.toml)"
pass "5 concurrent add-member: $(grep '^members' pool.toml)"

# A controller nobody runs: port 1 on loopback refuses at once.
cat >slurm.conf <<EOC
ClusterName=nowhere
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=1
AuthType=auth/munge
MessageTimeout=2
NodeName=n1 CPUs=1 State=UNKNOWN
PartitionName=p Nodes=n1
EOC
set +e
msg="$(SLURM_CONF="$work/slurm.conf" "$BASIN" pool status --timeout 20 2>&1)"
rc=$?
set -e
[ $rc -ne 0 ] || fail "pool status exited 0 without a controller: $msg"
grep -q "cannot reach Slurm's controller: .*; is the pool up? (SLURM_CONF=$work/slurm.conf)" <<<"$msg" ||
  fail "unexpected message: $msg"
grep -q "not in Slurm" <<<"$msg" && fail "status still lists nodes as 'not in Slurm': $msg"
pass "pool status without a controller: exit $rc, $msg"
