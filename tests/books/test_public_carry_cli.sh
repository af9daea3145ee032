#!/bin/bash
# [policy] min_pair_receipts in settlement from public data: two sites with
# their own ledgers exchange bundles each month. A pair below the minimum is
# carried: its provider publishes no opening for it, and next month's opening
# names the carried receipt together with the new one; both sites, holding
# only their own keys, write byte-identical statements, and the carried
# receipt is charged once.
#   test_public_carry_cli.sh BASIN MAKE_USAGE
set -euo pipefail
basin=$1 make_usage=$2
support="$(cd "$(dirname "${BASH_SOURCE[0]}")/../support" && pwd)"
source "$support/two_site_pool.sh" "$basin"
source "$support/exchange.sh"
sed -i '/^replica_quorum = /a min_pair_receipts = 2' pool.toml
sites="campus home"
oct=-3456000  # 40 days before make_usage's November times: 2026-10
mkdir spool-campus spool-home
MAKE_USAGE_SHIFT=$oct "$make_usage" keys/inst1.key spool-campus 1 inst1 campus bob 1 sacct.txt
MAKE_USAGE_SHIFT=$oct "$make_usage" keys/vol1.key spool-home 2 vol1 home alice 10 sacct.txt
"$make_usage" keys/inst1.key spool-campus 1 inst1 campus bob 2 sacct.txt
ingest_and_issue
settle() {  # PERIOD: both sites settle from public data; the statements are one
  for s in $sites; do
    "$basin" ledger --db $s/ledger.sqlite settle --public --period $1 --pool pool.toml \
      --site-key keys/$s.sign.key --out $s/st-$1 >$s/settle-$1.out ||
      { cat $s/settle-$1.out; fail "settle --public $1 at $s"; }
  done
  cmp campus/st-$1.json home/st-$1.json || fail "the sites' statements of $1 differ"
  cat home/settle-$1.out
}
exchange_bundles 2026-10 1
exchange_bundles 2026-10 2
settle 2026-10
grep -Eq "^home +campus +2 +0.$(printf %06d $(( (20+1000)*(70+71) )))  checked$" home/settle-2026-10.out ||
  fail "home -> campus in October"
if grep -Eq "^campus +home " home/settle-2026-10.out; then fail "a pair of one receipt was opened"; fi
echo "ok: October: home -> campus opened at both sites, campus -> home (1 receipt) not opened"

exchange_bundles 2026-11 1
exchange_bundles 2026-11 2
settle 2026-11
grep -Eq "^campus +home +2 +0.$(printf %06d $(( 81*61 + 81*62 )))  checked$" home/settle-2026-11.out ||
  fail "campus -> home in November does not hold the carried October receipt"
if grep -Eq "^home +campus " home/settle-2026-11.out; then fail "October's home -> campus again"; fi
echo "ok: November: campus's opening carries October's receipt; both sites agree byte for byte"
echo PASS
