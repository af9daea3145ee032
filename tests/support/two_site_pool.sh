# Shared by the ledger CLI tests: in a fresh temporary directory (removed on
# exit), pool.toml of pool "demo" (cluster basin) with site campus (40 per
# core-second, 1 per wall second; node inst1) and site home (10 per
# core-second, 1 per MB-second; node vol1), accounts alice (campus) and bob
# (home), their keys in keys/, and the node key ring in node-keys.
#
#   source two_site_pool.sh BASIN
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }
"$1" pool init --name demo --cluster basin >/dev/null
"$1" pool add-site --name campus --tier institutional --core-second 40 --wall-second 1 >/dev/null
"$1" pool add-site --name home --tier volunteer --core-second 10 --mem-mb-second 1 >/dev/null
"$1" pool add-node --name inst1 --site campus --cpus 2 --memory-mb 2000 >/dev/null
"$1" pool add-node --name vol1 --site home --cpus 2 --memory-mb 2000 >/dev/null
"$1" pool add-account --name alice --home-site campus >/dev/null
"$1" pool add-account --name bob --home-site home >/dev/null
"$1" pool node-keys >node-keys
