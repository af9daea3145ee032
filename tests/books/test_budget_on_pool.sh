#!/usr/bin/env bash
# Budgets on a real pool (slurmdbd, GrpTRESMins=billing from basin ledger
# budget sync, the cli_filter warning):
#   - an account granted a small budget runs a job; after its receipts are
#     issued and settled, `budget sync` leaves too little for a second job of
#     the same size, which pends with AssocGrpBillingMinutes, and sbatch
#     printed the submit-side warning with the figures;
#   - `budget show` agrees with the settled statement to the micro-credit;
#   - a budget cut to zero stops new jobs, not the running one.
source "$BASIN_SOURCE_DIR/tests/support/pool.sh"
admin="$(mktemp -d /tmp/basin-budget-admin.XXXXXX)"
cd "$admin"
# No memory price: a job's billing is 40 per CPU + 1 per node (micro-credits/s).
pool_toml "$admin" 0
"$BASIN" pool add-account --name physics --home-site campus --member root >/dev/null
pool_up --pool-file "$admin/pool.toml"
grep -q "TRESBillingWeights=CPU=40,Mem=0,GRES/gpu=0,Node=1" "$SLURM_CONF" ||
  fail "partitions lack the billing weights: $(grep ^PartitionName "$SLURM_CONF")"

L=("$BASIN" ledger --db "$admin/ledger.sqlite")
period="$(date -u +%Y-%m)"
sync_budget() {
  "${L[@]}" budget sync --pool pool.toml --budgets-file "$POOL_DIR/etc/basin-budgets" >>sync.out ||
    fail "budget sync: $(cat sync.out)"
}
books() {  # records -> receipts -> settled statement
  sacct -P --duplicates -a -X -S now-1hour \
    -o JobIDRaw,Cluster,Account,Submit,Start,End,State,AllocCPUS,ElapsedRaw >sacct.txt
  "${L[@]}" ingest "$POOL_DIR"/basin/*/spool --keys "$POOL_DIR/etc/node-keys" --pool pool.toml >/dev/null
  for s in campus home; do
    "${L[@]}" issue --pool pool.toml --sacct sacct.txt --site-key "keys/$s.sign.key" >>issue.out ||
      fail "issue: $(cat issue.out)"
  done
  "${L[@]}" open-pairs --period "$period" --pool pool.toml --site-key keys/home.sign.key \
    >open.out || fail "open-pairs: $(cat open.out)"
  "${L[@]}" settle --period "$period" --pool pool.toml --site-key keys/campus.sign.key \
    --out statement >settle.out || fail "settle: $(cat settle.out)"
}
pending_reason() {  # JOB: wait until Slurm gives it a reason other than None/Priority
  local r=""
  for _ in $(seq 60); do
    r="$(squeue -h -j "$1" -o %r 2>/dev/null)"
    case "$r" in ""|None|Priority|Resources) sleep 1 ;; *) break ;; esac
  done
  echo "$r"
}

# A 1-minute, 1-CPU job may cost 60 x 41 = 2460 micro-credits; grant 3000.
"${L[@]}" budget grant --pool pool.toml --account physics --micro-credits 3000 --note test >/dev/null
sync_budget
grep -q "^physics: 0.003000 credits left -> GrpTRESMins=billing=50 " sync.out || fail "$(cat sync.out)"
first="$(sbatch --parsable -A physics -w inst1 -n1 -t 1 -o /dev/null --wrap 'sleep 15' 2>first.err)"
[ "$(wait_job "$first" 120)" = COMPLETED ] || fail "the first job did not run: $(cat first.err)"
grep -q "basin: warning" first.err && fail "warned although the budget covers the job"
pass "a job within the budget runs (no warning)"

books
"${L[@]}" budget show --pool pool.toml >show.out || fail "budget show: $(cat show.out)"
cat show.out
charged="$(awk '$1 == "physics" { gsub(/\./, "", $3); print $3 + 0 }' show.out)"
from_statement="$(/usr/bin/python3 -c "import json; s=json.load(open('statement.json')); print(sum(p['micro_credits'] for p in s['pairs'] if p['consumer']=='campus'))")"
[ "$charged" -gt 0 ] && [ "$charged" = "$from_statement" ] ||
  fail "budget show charged $charged, the statement $from_statement"
pass "budget show's charge ($charged micro-credits) equals the settled statement's"

sync_budget
second="$(sbatch --parsable -A physics -w inst1 -n1 -t 1 -o /dev/null --wrap true 2>second.err)"
cat second.err
grep -q "^basin: warning: this job may cost up to 0.002460 credits .* account physics has 0.00[0-9]* credits left" second.err ||
  fail "no submit-side warning with the figures: $(cat second.err)"
reason="$(pending_reason "$second")"
[ "$reason" = AssocGrpBillingMinutes ] || fail "the second job is '$reason', not pending on the budget"
pass "after the first job is charged, the next one pends with AssocGrpBillingMinutes (warned at submit)"
scancel "$second"

# Zero: a running job goes on, a new one pends.
"${L[@]}" budget grant --pool pool.toml --account physics --micro-credits 20000 --note more >/dev/null
sync_budget
running="$(sbatch --parsable -A physics -w inst1 -n1 -t 2 -o /dev/null --wrap 'sleep 25')"
for _ in $(seq 60); do [ "$(squeue -h -j "$running" -o %T)" = RUNNING ] && break; sleep 1; done
[ "$(squeue -h -j "$running" -o %T)" = RUNNING ] || fail "job $running did not start"
"${L[@]}" budget grant --pool pool.toml --account physics --micro-credits -23000 --note zero >/dev/null
sync_budget
late="$(sbatch --parsable -A physics -w vol1 -n1 -t 1 -o /dev/null --wrap true 2>/dev/null)"
reason="$(pending_reason "$late")"
[ "$reason" = AssocGrpBillingMinutes ] || fail "with a zero budget a new job is '$reason'"
[ "$(wait_job "$running" 120)" = COMPLETED ] || fail "the running job did not survive a zero budget"
pass "a budget of zero stops new jobs; the running job completed"
rm -rf "$admin"
