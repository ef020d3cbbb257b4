#!/bin/bash
# The scenario corpus against Linux, deterministically: every script here (but the examples
# written for ustack, given as arguments) has the Linux kernel's run committed
# (captures/NAME.kernel.pcap, its line in captures/PROVENANCE.txt), and ustack's run in
# virtual time must differ from it only as the allow lists explain (the built-in one and
# NAME.allow, each entry with its reason). Every run is made twice and must be identical.
set -uo pipefail
USTACK="$(realpath "$1")"
shift
cd "$(dirname "$(realpath "$0")")"  # the scenarios directory (runfiles)
declare -A example
for e in "$@"; do example["$(basename "$e" .pkt)"]=1; done
OUT="${TEST_TMPDIR:-/tmp}/corpus.$$"
mkdir -p "$OUT"
trap 'rm -rf "$OUT"' EXIT
failures=0 scenarios=0 identical=0 allowed=0
for pkt in *.pkt; do
  name="${pkt%.pkt}"
  [ -n "${example[$name]:-}" ] && continue
  scenarios=$((scenarios + 1))
  cap="captures/$name.kernel.pcap"
  if [ ! -f "$cap" ] || ! grep -q "^$name.kernel.pcap " captures/PROVENANCE.txt; then
    echo "FAIL $name: no kernel capture with provenance (record it: record_kernel_captures.sh $pkt)"
    failures=$((failures + 1))
    continue
  fi
  for run in 1 2; do
    "$USTACK" scenario run "$pkt" --kernel-capture "$cap" --json "$OUT/$name.$run.json" \
      >"$OUT/$name.$run" 2>&1
    echo $? >>"$OUT/$name.$run"
  done
  if [ "$(tail -1 "$OUT/$name.1")" != 0 ]; then
    echo "FAIL $name: unexplained differences from Linux:"
    sed 's/^/  /' "$OUT/$name.1"
    failures=$((failures + 1))
  elif ! cmp -s "$OUT/$name.1" "$OUT/$name.2" || ! cmp -s "$OUT/$name.1.json" "$OUT/$name.2.json"; then
    echo "FAIL $name: two runs differ (virtual time must replay exactly):"
    diff "$OUT/$name.1" "$OUT/$name.2" | head -20
    failures=$((failures + 1))
  elif grep -q '"verdict": "identical"' "$OUT/$name.1.json"; then
    identical=$((identical + 1))
  else
    allowed=$((allowed + 1))
  fi
done
echo "$scenarios scenarios: $identical identical to Linux, $allowed with explained differences, $failures failing"
[ "$scenarios" -ge 60 ] || { echo "FAIL: the corpus shrank below 60 scenarios"; failures=$((failures + 1)); }
[ "$failures" = 0 ]
