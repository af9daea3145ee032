#!/usr/bin/env bash
# Sizes for docs/scaling.md "Log and ledger growth", from a pool a bench kept
# (BP_KEEP=1 bench/pool/churn_soak.sh keeps POOL_DIR and POOL_DIR.admin):
# the usage record files in every spool, a ledger made from them (ingest,
# then site home issues a receipt for each), the bundle home exports, the
# jobcomp log and the Slurm daemons' logs. Not in CI.
#
#   bench/pool/ledger_sizes.sh POOL_DIR [BASIN]
set -euo pipefail
P="$(cd "$1" && pwd)"
A="$P.admin"
BASIN="${2:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/cli/basin}"
W="$(mktemp -d /tmp/basin-bench-sizes.XXXXXX)"
trap 'rm -rf "$W"' EXIT
spools=("$P"/basin/*/spool "$A"/cv*/spool)
find "${spools[@]}" -name '*.basinrec*' -printf '%s\n' >"$W/rec"
nrec=$(wc -l <"$W/rec")
rec_bytes=$(awk '{s += $1} END {print s}' "$W/rec")
# A file system block per record file in the spool (du), as well as its bytes.
rec_du=$(du -sk "${spools[@]}" | awk '{s += $1} END {print s * 1024}')
cd "$A"
"$BASIN" ledger --db "$W/ledger.sqlite" ingest "${spools[@]}" --keys "$P/etc/node-keys" --pool pool.toml \
  >"$W/ingest.out" 2>&1 || true
tail -1 "$W/ingest.out"
sz_ingest=$(stat -c %s "$W/ledger.sqlite")
t0=$(date +%s.%N)
"$BASIN" ledger --db "$W/ledger.sqlite" issue --pool pool.toml --jobcomp "$P/log/jobcomp.txt" \
  --site-key keys/home.sign.key >"$W/issue.out" 2>&1 || { cat "$W/issue.out"; exit 1; }
t1=$(date +%s.%N)
tail -1 "$W/issue.out"
sz_issue=$(stat -c %s "$W/ledger.sqlite")
nrcpt=$("$BASIN" ledger --db "$W/ledger.sqlite" show --receipts 2>/dev/null | grep -c . || true)
"$BASIN" ledger --db "$W/ledger.sqlite" export --pool pool.toml --site-key keys/home.sign.key \
  --out "$W/home.bundle" >/dev/null 2>&1 || true
bundle=$(stat -c %s "$W/home.bundle" 2>/dev/null || echo NA)
jc_lines=$(wc -l <"$P/log/jobcomp.txt")
jc_bytes=$(stat -c %s "$P/log/jobcomp.txt")
ctld=$(stat -c %s "$P/log/slurmctld.log")
slurmd_logs=$(cat "$P"/log/slurmd*.log "$A"/cv*/slurmd.log 2>/dev/null | wc -c)
db=$(du -sk "$P/db/data/slurm_acct_db" 2>/dev/null | awk '{print $1 * 1024}' || echo NA)
jobs=$(awk -F'JobId=' 'NF > 1 {split($2, a, " "); print a[1]}' "$P/log/jobcomp.txt" | sort -u | wc -l)
echo "records: $nrec files, $rec_bytes bytes ($((rec_bytes / nrec)) bytes each), $rec_du bytes on disk (du)"
echo "ledger: $sz_ingest bytes after ingest ($(((sz_ingest) / nrec)) per record), $sz_issue after issue; $nrcpt receipt lines in 'ledger show --receipts'; issue took $(echo "$t1 - $t0" | bc -l | cut -c1-6) s"
echo "bundle (home's log, every receipt): $bundle bytes"
echo "jobcomp: $jc_lines lines (runs) of $jobs jobs, $jc_bytes bytes ($((jc_bytes / jc_lines)) per line)"
echo "slurmctld.log: $ctld bytes ($((ctld / jobs)) per job); slurmd logs: $slurmd_logs bytes ($((slurmd_logs / jobs)) per job); slurm_acct_db: $db bytes"
