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
