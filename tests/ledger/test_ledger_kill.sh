#!/usr/bin/env bash
# kill -9 in the middle of `basin ledger ingest` leaves a consistent ledger
# that the next run completes.
set -euo pipefail
basin="$1"
dir="$(mktemp -d)"; trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
mkdir "$dir/spool"
"$basin" records keygen --node vol1 --secret "$dir/k" --public "$dir/keys" 2>/dev/null
# pool.toml for the node's size (ingest's bounds); its key there is unused.
mkdir "$dir/pool"
"$basin" pool --file "$dir/pool/pool.toml" init --name p --cluster c >/dev/null
"$basin" pool --file "$dir/pool/pool.toml" add-site --name home --tier volunteer >/dev/null
"$basin" pool --file "$dir/pool/pool.toml" add-node --name vol1 --site home --cpus 2 --memory-mb 2000 >/dev/null
# 3000 signed records from the test helper.
"$2" "$dir/k" "$dir/spool" 3000
mkdir "$dir/empty"   # ingesting nothing creates and migrates (only ingest creates a ledger)
"$basin" ledger --db "$dir/l.sqlite" ingest "$dir/empty" --keys "$dir/keys" --pool "$dir/pool/pool.toml" >/dev/null
killed=0
for delay in 0.05 0.1 0.2 0.3; do
  "$basin" ledger --db "$dir/l.sqlite" ingest "$dir/spool" --keys "$dir/keys" --pool "$dir/pool/pool.toml" \
    >/dev/null 2>&1 &
  pid=$!
  sleep "$delay"
  if kill -9 "$pid" 2>/dev/null; then killed=$((killed + 1)); fi
  wait "$pid" 2>/dev/null || true
  n="$(sqlite3 "$dir/l.sqlite" 'PRAGMA integrity_check; SELECT COUNT(*) FROM records;' | tr '\n' ' ')"
  case "$n" in "ok 0 "|"ok 3000 ") ;; *) fail "after kill -9: integrity/count is '$n' (all or nothing expected)" ;; esac
done
[ $killed -gt 0 ] || fail "no ingest was killed mid-run"
out="$("$basin" ledger --db "$dir/l.sqlite" ingest "$dir/spool" --keys "$dir/keys" \
  --pool "$dir/pool/pool.toml")"
[ "$(sqlite3 "$dir/l.sqlite" 'SELECT COUNT(*) FROM records')" = 3000 ] || fail "rerun did not complete: $out"
echo "ok: $killed ingest runs killed with -9; the ledger stayed consistent and the rerun completed ($out)"
