#!/usr/bin/env bash
# Accounts Slurm enforces: a pool with the real accounting database
# (mariadbd + slurmdbd) whose associations come from pool.toml's
# [[account]] members (basin pool sync-accounts, run by local-pool up).
#   - sacctmgr's associations match pool.toml after up; root keeps a default
#     account (basin-default) so it submits without -A;
#   - a Unix user who is not a member of an account is refused by Slurm;
#     a member's job runs and sacct lists it with that account;
#   - sync is idempotent; removing a member and syncing removes the
#     association (and Slurm then refuses that user); a member who is not a
#     Unix user is refused by sync with a clear message.
source "$BASIN_SOURCE_DIR/tests/support/pool.sh"
# Test users (created once, kept: other runs reuse them).
for u in basin-alice basin-bob; do
  id "$u" >/dev/null 2>&1 || useradd -M -s /bin/sh "$u" || fail "useradd $u"
done
admin="$(mktemp -d /tmp/basin-accounts-admin.XXXXXX)"
cd "$admin"
P=("$BASIN" pool --file "$admin/pool.toml")
"${P[@]}" init --name acct --cluster basin-acct >/dev/null
"${P[@]}" add-site --name campus --tier institutional --core-second 40 >/dev/null
"${P[@]}" add-site --name home --tier volunteer --core-second 10 >/dev/null
for n in inst1:campus vol1:home; do
  "${P[@]}" add-node --name "${n%:*}" --site "${n#*:}" --cpus 2 --memory-mb 2000 >/dev/null
done
"${P[@]}" add-account --name physics --home-site campus --member basin-alice >/dev/null
"${P[@]}" add-account --name chemistry --home-site home --member basin-bob >/dev/null
grep -q "^members = \['basin-alice'\]" pool.toml || fail "pool.toml lacks members: $(cat pool.toml)"
pool_up --pool-file "$admin/pool.toml"

assocs() { sacctmgr -n -P show assoc cluster=basin-acct format=Account,User | sort; }
expect="$(printf '%s\n' 'basin-default|' 'basin-default|root' 'chemistry|' 'chemistry|basin-bob' \
  'physics|' 'physics|basin-alice' 'root|' 'root|root' | sort)"
[ "$(assocs)" = "$expect" ] || fail "associations after up differ from pool.toml:
$(assocs)
expected:
$expect"
[ "$(sacctmgr -n -P show user root format=DefaultAccount)" = basin-default ] ||
  fail "root's default account is not basin-default"
pass "after up, sacctmgr's associations match pool.toml (plus root in basin-default)"

out="$("${P[@]}" sync-accounts)"
grep -q "^nothing to change" <<<"$out" || fail "second sync changed something: $out"
pass "sync-accounts again: $out"

as() { local u="$1"; shift; runuser -u "$u" -- env SLURM_CONF="$SLURM_CONF" "$@"; }
set +e
msg="$(as basin-alice sbatch -A chemistry --chdir /tmp -o /dev/null --wrap true 2>&1)"
rc=$?
set -e
[ $rc -ne 0 ] || fail "basin-alice could submit to chemistry, where she is not a member"
grep -q "Invalid account or account/partition combination specified" <<<"$msg" ||
  fail "unexpected refusal message: $msg"
pass "basin-alice refused on account chemistry by Slurm: $msg"

id="$(as basin-alice sbatch --parsable -A physics --chdir /tmp -o /dev/null --wrap 'id -un')"
state="$(wait_job "$id" 120)"
[ "$state" = COMPLETED ] || fail "basin-alice's job $id on physics ended $state"
row=""
for _ in $(seq 30); do
  row="$(sacct -n -P --duplicates -X -j "$id" -o JobID,Account,User,State 2>/dev/null || true)"
  [ "$row" = "$id|physics|basin-alice|COMPLETED" ] && break
  sleep 1
done
[ "$row" = "$id|physics|basin-alice|COMPLETED" ] || fail "sacct row for job $id: '$row'"
pass "basin-alice's job $id ran on physics; sacct -P --duplicates: $row"

id="$(sbatch --parsable --chdir /tmp -o /dev/null --wrap true)"
[ "$(wait_job "$id" 120)" = COMPLETED ] || fail "root's job without -A did not complete"
pass "root submits without -A (default account basin-default)"

"${P[@]}" remove-member --account physics --user basin-alice >/dev/null
out="$("${P[@]}" sync-accounts)"
[ "$out" = "removed user basin-alice from account physics" ] || fail "sync after remove-member: $out"
assocs | grep -qx 'physics|basin-alice' && fail "association physics|basin-alice still there"
set +e
msg="$(as basin-alice sbatch -A physics --chdir /tmp -o /dev/null --wrap true 2>&1)"
rc=$?
set -e
[ $rc -ne 0 ] || fail "basin-alice could still submit to physics after removal"
pass "remove-member + sync: '$out'; Slurm now refuses her: $msg"

"${P[@]}" add-member --account physics --user basin-alice >/dev/null
out="$("${P[@]}" sync-accounts)"
[ "$out" = "added user basin-alice to account physics" ] || fail "sync after add-member: $out"
out="$("${P[@]}" sync-accounts)"
grep -q "^nothing to change" <<<"$out" || fail "sync after add was not idempotent: $out"
pass "add-member + sync: association back; a second sync: nothing to change"

"${P[@]}" add-member --account chemistry --user basin-nosuchuser >/dev/null
set +e
msg="$("${P[@]}" sync-accounts 2>&1)"
rc=$?
set -e
[ $rc -ne 0 ] || fail "sync accepted a member who is not a Unix user"
grep -q "member 'basin-nosuchuser' of account 'chemistry' is not a Unix user" <<<"$msg" ||
  fail "unexpected message: $msg"
assocs | grep -q nosuchuser && fail "sacctmgr got the unknown user"
pass "a member who is not a Unix user is refused: $msg"
cd /
rm -rf "$admin"
