#!/bin/bash
# `ustack lesson`: every lesson of `ustack lesson --list` run with --color never and compared
# byte for byte with testdata/NAME.txt (virtual time and a fixed seed: the same bytes every
# run; a second run must give them again). A lesson checks its own teaching point and exits 1
# with the reason when it does not hold. Its --events file is read back by `ustack ladder`
# (the same rows as the lesson printed), its --report is written, and its --pcap FILE.pcapng is
# read by tshark with a comment on the segments the client sent. Bad input: one line, exit 2.
# Regenerate the golden files after an intended change with
#   UPDATE=1 bazel run //tools/lessons:lessons_cli_test   (then review the diff)
set -uo pipefail
USTACK="$1"
GOLDEN="$2"  # tools/lessons/testdata
OUT="${TEST_TMPDIR:-/tmp}/lessons_cli.$$"
mkdir -p "$OUT"
trap 'rm -rf "$OUT"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
rows() { grep -E '^ +[0-9]+ +[0-9]+\.[0-9]{3}  ' "$1"; }

"$USTACK" lesson --list >"$OUT/list.txt" 2>&1 || fail "--list: exit $?"
names=$(cut -d' ' -f1 "$OUT/list.txt")
for want in handshake slow-start fast-retransmit rto-backoff delayed-ack-nagle zero-window close \
  simultaneous-open; do
  grep -qx "$want" <<<"$names" || fail "--list has no lesson $want"
done
grep -qvE '^[a-z-]+ +[^ ].+$' "$OUT/list.txt" && fail "--list: a line is not 'name summary'"

for name in $names; do
  "$USTACK" lesson "$name" --color never --events "$OUT/$name.events" \
    --report "$OUT/$name.html" --pcap "$OUT/$name.pcapng" >"$OUT/$name.txt" 2>"$OUT/$name.err"
  rc=$?
  [ "$rc" = 0 ] || { fail "lesson $name: exit $rc: $(cat "$OUT/$name.err")"; continue; }
  "$USTACK" lesson "$name" --color never >"$OUT/$name.again" 2>&1
  cmp -s "$OUT/$name.txt" "$OUT/$name.again" || fail "lesson $name: a second run differs"
  # The events file is in the format: `ustack ladder` draws the rows the lesson printed.
  "$USTACK" ladder --color never "$OUT/$name.events" >"$OUT/$name.ladder" 2>&1 ||
    fail "lesson $name: ladder of --events: $(head -3 "$OUT/$name.ladder")"
  diff <(rows "$OUT/$name.txt") <(rows "$OUT/$name.ladder") >"$OUT/$name.rows.diff" ||
    fail "lesson $name: the ladder of --events differs from the lesson's: $(head "$OUT/$name.rows.diff")"
  grep -q "\"title\":\"ustack lesson $name\"" "$OUT/$name.html" || fail "lesson $name: no report"
  # pcapng: read by tshark, a comment on every segment the client sent.
  tshark -r "$OUT/$name.pcapng" -T fields -e ip.src -e frame.comment >"$OUT/$name.tshark" \
    2>"$OUT/$name.tshark.err" || fail "lesson $name: tshark: $(cat "$OUT/$name.tshark.err")"
  sent=$(grep -c '^198\.18\.0\.1' "$OUT/$name.tshark")
  commented=$(grep -cE '^198\.18\.0\.1	.+' "$OUT/$name.tshark")
  [ "$sent" -gt 0 ] && [ "$sent" = "$commented" ] ||
    fail "lesson $name: $commented of $sent segments sent have a pcapng comment"
done
grep -q '	SYN; state SYN_SENT' "$OUT/handshake.tshark" ||
  fail "handshake.pcapng: no 'SYN; state SYN_SENT' comment: $(head -3 "$OUT/handshake.tshark")"
# --color always paints the ladder and the notes; never (and a pipe) does not.
"$USTACK" lesson handshake --color always >"$OUT/color.txt" 2>&1
grep -q $'\033\[36m  | The server calls listen' "$OUT/color.txt" || fail "--color always: no colour"
grep -q $'\033\[' "$OUT/handshake.txt" && fail "--color never: colour"
# A classic pcap too.
"$USTACK" lesson handshake --pcap "$OUT/hs.pcap" >/dev/null 2>&1 || fail "--pcap FILE.pcap"
[ "$(tshark -r "$OUT/hs.pcap" 2>/dev/null | wc -l)" -ge 5 ] || fail "hs.pcap: tshark reads no packets"

if [ -n "${UPDATE:-}" ]; then
  for name in $names; do cp "$OUT/$name.txt" "${BUILD_WORKSPACE_DIRECTORY}/tools/lessons/testdata/"; done
  echo "updated tools/lessons/testdata"
  exit 0
fi
for name in $names; do
  [ -f "$GOLDEN/$name.txt" ] || { fail "no golden file testdata/$name.txt"; continue; }
  diff -u "$GOLDEN/$name.txt" "$OUT/$name.txt" >"$OUT/$name.diff" ||
    fail "lesson $name differs from testdata/$name.txt:
$(head -60 "$OUT/$name.diff")"
done

# Bad input: one line on stderr naming the problem, exit 2.
bad() {  # bad WANT_PATTERN ARGS...
  local want="$1"
  shift
  "$USTACK" lesson "$@" >"$OUT/bad.out" 2>"$OUT/bad.err"
  local rc=$?
  [ "$rc" = 2 ] || fail "lesson $*: exit $rc, want 2"
  [ "$(wc -l <"$OUT/bad.err")" = 1 ] || fail "lesson $*: want one line, got: $(cat "$OUT/bad.err")"
  grep -qE -- "$want" "$OUT/bad.err" || fail "lesson $*: no '$want' in: $(cat "$OUT/bad.err")"
}
bad "^ustack lesson: no lesson 'nope' \(ustack lesson --list names them\)" nope
bad '^ustack lesson: want a lesson NAME, or --list to see them'
bad '^ustack lesson: --seed' handshake --seed abc
bad '^ustack lesson: --color' handshake --color purple
bad '^ustack lesson: unknown option --bogus' handshake --bogus
bad '^ustack lesson: --pcap x\.txt: want FILE\.pcap or FILE\.pcapng' handshake --pcap x.txt
bad '^ustack lesson: --events wants a file: the lesson itself goes to stdout' handshake --events -
bad '^ustack lesson: cannot write /nonexistent/e\.events' handshake --events /nonexistent/e.events
bad '^ustack lesson: .*/nonexistent/p\.pcapng' handshake --pcap /nonexistent/p.pcapng

[ "$failures" = 0 ] && echo "PASS" || { echo "$failures failures"; exit 1; }
