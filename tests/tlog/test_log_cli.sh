#!/usr/bin/env bash
# `basin log` as an auditor uses it: roots and proofs over hex leaves, checked
# against the RFC 6962 reference vectors, and bad input refused with exit 2.
set -euo pipefail
basin="$1"
fail() { echo "FAIL: $*" >&2; exit 1; }
leaves=$'\n00\n10\n2021\n3031\n40414243\n5051525354555657\n606162636465666768696a6b6c6d6e6f\n'
root8=5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328
root2=fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125

[ "$(printf '%s' "$leaves" | "$basin" log root)" = "$root8" ] || fail "root of the reference leaves"
[ "$("$basin" log root </dev/null)" = e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 ] ||
  fail "empty tree root"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
printf '%s' "$leaves" >"$tmp/leaves.hex"
"$basin" log inclusion --index 5 "$tmp/leaves.hex" >"$tmp/p5"
[ "$(head -n1 "$tmp/p5")" = bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b ] ||
  fail "inclusion proof for leaf 5"
leaf5="$(printf '%s' 40414243 | "$basin" log leaf-hash)"
"$basin" log verify-inclusion --index 5 --size 8 --leaf-hash "$leaf5" --root "$root8" "$tmp/p5" >/dev/null ||
  fail "valid inclusion proof rejected"
set +e
"$basin" log verify-inclusion --index 4 --size 8 --leaf-hash "$leaf5" --root "$root8" "$tmp/p5" >/dev/null
[ $? -eq 1 ] || fail "inclusion proof for the wrong index accepted"
set -e
"$basin" log consistency --old 2 "$tmp/leaves.hex" >"$tmp/c2"
"$basin" log verify-consistency --old 2 --size 8 --old-root "$root2" --root "$root8" "$tmp/c2" >/dev/null ||
  fail "valid consistency proof rejected"
set +e
sed -i '1s/^5/6/' "$tmp/c2"
"$basin" log verify-consistency --old 2 --size 8 --old-root "$root2" --root "$root8" "$tmp/c2" >/dev/null
[ $? -eq 1 ] || fail "tampered consistency proof accepted"
msg="$(printf 'aa\nxyz\n' | "$basin" log root 2>&1)"
[ $? -eq 2 ] || fail "bad hex did not exit 2"
grep -q "line 2" <<<"$msg" || fail "bad hex message does not name the line: $msg"
"$basin" log inclusion --index 8 "$tmp/leaves.hex" >/dev/null 2>&1
[ $? -eq 2 ] || fail "out-of-range index did not exit 2"
set -e
echo "ok: basin log root/inclusion/consistency/verify-* agree with the RFC 6962 vectors"

# Checkpoints: keygen, sign over the leaves, verify (and a tampered one fails).
"$basin" log checkpoint keygen --name campus-log --secret "$tmp/log.key" >"$tmp/log.vkey"
[ "$(stat -c %a "$tmp/log.key")" = 600 ] || fail "checkpoint signer key is not mode 0600"
"$basin" log checkpoint sign --key "$tmp/log.key" --origin basin.example/campus "$tmp/leaves.hex" >"$tmp/cp"
sed -n 3p "$tmp/cp" | base64 -d | od -An -tx1 | tr -d ' \n' | grep -q "^$root8$" || fail "checkpoint root"
"$basin" log checkpoint verify --key "$(cat "$tmp/log.vkey")" --leaves "$tmp/leaves.hex" "$tmp/cp" >/dev/null ||
  fail "valid checkpoint rejected"
sed -i '2s/8/9/' "$tmp/cp"
set +e
"$basin" log checkpoint verify --key "$(cat "$tmp/log.vkey")" "$tmp/cp" >/dev/null 2>&1
[ $? -eq 2 ] || fail "tampered checkpoint accepted"
set -e
echo "ok: basin log checkpoint keygen/sign/verify"
