# Shared by the CLI tests of books kept per site (source it after
# two_site_pool.sh; it uses $basin and $sites, each site's ledger in
# SITE/ledger.sqlite and its received cosignatures in SITE/back):
#
#   exchange_bundles PERIOD ROUND [LOG]
#
# every site exports its bundle with its openings of PERIOD, imports every
# other site's (the import output appended to LOG, default /dev/null) and
# cosigns it, and then keeps the cosignatures of its own log.
exchange_bundles() {
  local period=$1 round=$2 log=${3:-/dev/null} s o
  for s in $sites; do
    "$basin" ledger --db $s/ledger.sqlite export --pool pool.toml --site-key keys/$s.sign.key \
      --period $period --out $s-$period-$round.bundle >/dev/null
  done
  for s in $sites; do
    for o in $sites; do
      [ $s = $o ] && continue
      "$basin" ledger --db $s/ledger.sqlite import --pool pool.toml \
        --witness-key keys/$s.witness.key --cosigned-dir $s/back $o-$period-$round.bundle >>"$log"
    done
  done
  for s in $sites; do
    "$basin" ledger --db $s/ledger.sqlite add-cosignatures --pool pool.toml \
      --site-key keys/$s.sign.key */back/$s-*.cosigned >/dev/null
  done
}

# add_lab_site: a third site, lab (institutional, 30 per core-second), with
# node lab1 (2 CPUs, 2000 MB); node-keys rewritten.
add_lab_site() {
  "$basin" pool add-site --name lab --tier institutional --core-second 30 >/dev/null
  "$basin" pool add-node --name lab1 --site lab --cpus 2 --memory-mb 2000 >/dev/null
  "$basin" pool node-keys >node-keys
}

# ingest_and_issue: each site ingests its nodes' records from spool-SITE and
# issues its receipts (Slurm's side in sacct.txt).
ingest_and_issue() {
  local s
  for s in $sites; do
    mkdir -p $s/back
    "$basin" ledger --db $s/ledger.sqlite ingest spool-$s --keys node-keys --pool pool.toml >/dev/null
    "$basin" ledger --db $s/ledger.sqlite issue --pool pool.toml --sacct sacct.txt \
      --site-key keys/$s.sign.key >/dev/null
  done
}

# credit SITE JOB: the micro-credits of make_usage's job JOB (2 cores,
# 1000 MB, wall 60 + JOB s) at SITE's rate card.
credit() {
  local w=$((60 + $2))
  case $1 in
    campus) echo $((40 * 2 * w + w)) ;;
    home) echo $((10 * 2 * w + 1000 * w)) ;;
    lab) echo $((30 * 2 * w)) ;;
  esac
}

# settle_everywhere PERIOD: each site settles PERIOD from public data alone
# (SITE/statement.json, output in SITE/settle.out), and the three statements
# must be byte-identical.
settle_everywhere() {
  local s
  for s in $sites; do
    "$basin" ledger --db $s/ledger.sqlite settle --public --period $1 --pool pool.toml \
      --site-key keys/$s.sign.key --out $s/statement >$s/settle.out ||
      { cat $s/settle.out; fail "settle --public at $s"; }
  done
  cat campus/settle.out
  cmp campus/statement.json home/statement.json || fail "campus and home statements differ"
  cmp campus/statement.json lab/statement.json || fail "campus and lab statements differ"
}
