#!/usr/bin/env bash
# Accounts Slurm enforces, tried as a hostile user would, on a real pool with
# slurmdbd + MariaDB (associations synced from pool.toml):
#   - sbatch -A an account the user is not a member of: refused by Slurm;
#   - a member runs and is charged to that account, however the job lies
#     about it (SLURM_JOB_ACCOUNT exported at submit, in the batch script,
#     for one srun step; --basin-account): issue names the lying records and
#     charges Slurm's account;
#   - --basin-replicas=5 on a lone job: charged ("unvalidated"), not free;
#   - reconcile against the pool's real `sacct -P --duplicates`: 0 discrepancies.
source "$BASIN_SOURCE_DIR/tests/support/pool.sh"
admin="$(mktemp -d /tmp/basin-accounts-admin.XXXXXX)"
out="$(mktemp -d /tmp/basin-accounts-out.XXXXXX)"
chmod 1777 "$out"
for u in basin-alice basin-bob; do
  id -u "$u" >/dev/null 2>&1 || useradd --system --no-create-home --shell /bin/bash "$u"
done
cd "$admin"
pool_toml "$admin"
"$BASIN" pool add-account --name physics --home-site campus --member basin-alice >/dev/null
"$BASIN" pool add-account --name bio --home-site home --member basin-bob >/dev/null
pool_up --pool-file "$admin/pool.toml"

as() { local u="$1"; shift; runuser -u "$u" -- env SLURM_CONF="$SLURM_CONF" "$@"; }

# 1. Not a member: Slurm refuses, with its own message.
if as basin-bob sbatch -A physics --chdir "$out" -o /dev/null --wrap true 2>"$out/refused.err"; then
  fail "basin-bob charged account physics, of which he is no member"
fi
grep -q "Invalid account" "$out/refused.err" || fail "Slurm's message: $(cat "$out/refused.err")"
pass "sbatch -A physics by a non-member: $(head -n 1 "$out/refused.err")"

# --basin-account is refused at submission, whatever it names.
if as basin-alice sbatch -A physics --basin-account=bio --chdir "$out" -o /dev/null --wrap true \
  2>"$out/basin-account.err"; then
  fail "--basin-account was accepted"
fi
grep -q "is no longer accepted.*-A bio" "$out/basin-account.err" || fail "$(cat "$out/basin-account.err")"
pass "--basin-account refused with a pointer to -A"

# 2. A member's jobs, lying about their account every way the environment allows.
submit() { as basin-alice sbatch --parsable -A physics --chdir "$out" -o "$out/%j.out" "$@"; }
honest="$(submit -w vol1 --wrap 'srun true')"
lie_export="$(SLURM_JOB_ACCOUNT=bio submit -w vol1 --export=ALL,SLURM_JOB_ACCOUNT=bio --wrap 'srun true')"
lie_script="$(submit -w vol2 --wrap 'export SLURM_JOB_ACCOUNT=bio SBATCH_ACCOUNT=bio; srun true')"
lie_step="$(submit -w vol2 --wrap 'srun --export=ALL,SLURM_JOB_ACCOUNT=bio true')"
lone="$(submit -w inst1 --basin-replicas=5 --basin-checkpoint -J lone-replica \
  --wrap 'printf "sha256:%064x\n" 7 > "$BASIN_CHECKPOINT_DIR/basin-result-digest"')"
nodigest="$(submit -w vol1 --basin-replicas=2 -J no-digest --wrap 'srun true')"
for id in "$honest" "$lie_export" "$lie_script" "$lie_step" "$lone" "$nodigest"; do
  state="$(wait_job "$id" 120)"
  [ "$state" = COMPLETED ] || fail "job $id ended $state: $(cat "$out/$id.out" 2>/dev/null)"
done
pass "basin-alice's six jobs on physics completed"

# Slurm's accounting has them once slurmdbd has the rows. A time-window query
# (what a monthly export is) skips a job until slurmctld has sent its
# eligible time, a few seconds after it ran: wait for the window to show all.
for _ in $(seq 60); do
  sacct -P --duplicates -a -o JobIDRaw,Cluster,Account,Submit,Start,End,State,AllocCPUS,ElapsedRaw \
    -S now-1hour >"$out/sacct.txt"
  n="$(grep -c '^[0-9]*|basin-local|physics|' "$out/sacct.txt" || true)"
  [ "$n" = 6 ] && break
  sleep 1
done
[ "$n" = 6 ] || fail "sacct's window shows $n of 6 jobs with account physics: $(cat "$out/sacct.txt")"

L=("$BASIN" ledger --db "$out/ledger.sqlite")
"${L[@]}" ingest "$POOL_DIR"/basin/*/spool --keys "$POOL_DIR/etc/node-keys" \
  --pool "$admin/pool.toml" >"$out/ingest.out" ||
  fail "ingest: $(cat "$out/ingest.out")"
set +e
for s in campus home; do
  "${L[@]}" issue --pool "$admin/pool.toml" --sacct "$out/sacct.txt" \
    --site-key "$admin/keys/$s.sign.key"
done >"$out/issue.out"
set -e
cat "$out/issue.out"
grep -q "^held\|^not issued" "$out/issue.out" && fail "records not issued"
# Every lie that reached a record is named; none changes the account charged.
"${L[@]}" show >"$out/records.out"
claimed_bio="$(grep -c " bio " "$out/records.out" || true)"
named="$(grep -c "^finding account_mismatch .*recorded account 'bio'.*Slurm charged 'physics'" "$out/issue.out" || true)"
[ "$claimed_bio" = "$named" ] || fail "$claimed_bio records claim bio, $named findings name them"
echo "records whose environment claimed bio: $claimed_bio, each named by issue"
"${L[@]}" show --receipts >"$out/receipts.out"
[ "$(grep -c " basin-local/" "$out/receipts.out")" -ge 10 ] || fail "receipts: $(cat "$out/receipts.out")"
if grep " basin-local/" "$out/receipts.out" | grep -v " physics "; then
  fail "a receipt charges another account than physics"
fi
pass "every record of basin-alice's jobs charges physics; the lies are findings"

# 3. The lone "replica" is charged, flagged unvalidated.
"${L[@]}" open-pairs --period "$(date -u +%Y-%m)" --pool "$admin/pool.toml" \
  --site-key "$admin/keys/home.sign.key" >"$out/open.out" || fail "open-pairs: $(cat "$out/open.out")"
"${L[@]}" settle --period "$(date -u +%Y-%m)" --pool "$admin/pool.toml" \
  --site-key "$admin/keys/campus.sign.key" \
  --out "$out/statement" >"$out/settle.out" || fail "settle: $(cat "$out/settle.out")"
grep -q "^flagged .*basin-local/$lone\.batch.*unvalidated" "$out/settle.out" ||
  fail "the lone replica is not charged as unvalidated: $(cat "$out/settle.out")"
# (Its srun step and batch step hold the same cores for the same time: one
# of them is charged, the other runs inside it.)
grep -q "^flagged .*basin-local/$nodigest\.[a-z0-9]*/.*without a result digest" "$out/settle.out" ||
  fail "the replica without digest is not charged and flagged: $(cat "$out/settle.out")"
pass "--basin-replicas=5 on one job: charged, flagged unvalidated; a replica without digest: charged, flagged"

# 4. Reconcile against the pool's real sacct: accounts and core-seconds agree.
"${L[@]}" reconcile --period "$(date -u +%Y-%m)" --pool "$admin/pool.toml" --sacct "$out/sacct.txt" \
  >"$out/reconcile.out" || fail "reconcile: $(cat "$out/reconcile.out")"
grep -q "^discrepancies: 0$" "$out/reconcile.out" || fail "$(cat "$out/reconcile.out")"
pass "reconcile against sacct -P --duplicates from slurmdbd: 0 discrepancies"
rm -rf "$admin" "$out"
