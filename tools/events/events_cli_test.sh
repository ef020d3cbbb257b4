#!/bin/bash
# `ustack replay --events` on committed captures (pcap_tests/captures/replay/dig_tcp.pcap: dig
# over TCP, ustack as the DNS server) and `ustack ladder` on the result, both pinned byte for
# byte (the replay runs in the recording's virtual time with a fixed seed, so the events are
# the same every run); the ladders of a lossy nc transfer (replay) and of a packetdrill scenario
# with a tail-loss probe and RTO backoff (`scenario run --events`), pinned too. Also the bad
# inputs of `ustack ladder`: one line, exit status 2.
# Regenerate the golden files after an intended change with
#   UPDATE=1 bazel run //tools/events:events_cli_test   (then review the diff)
set -uo pipefail
USTACK="$1"
CAPS="$2"     # pcap_tests/captures
GOLDEN="$3"   # tools/events/testdata
SCENARIOS="$4"  # pcap_tests/scenarios
OUT="${TEST_TMPDIR:-/tmp}/events_cli.$$"
mkdir -p "$OUT"
trap 'rm -rf "$OUT"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

"$USTACK" replay --color never --events "$OUT/dig_tcp.events" "$CAPS/replay/dig_tcp.pcap" \
  --flow 1 >"$OUT/replay.txt" 2>&1 || fail "replay: exit $?: $(cat "$OUT/replay.txt")"
"$USTACK" ladder --color never "$OUT/dig_tcp.events" >"$OUT/dig_tcp.ladder" 2>&1 ||
  fail "ladder: exit $?: $(cat "$OUT/dig_tcp.ladder")"
# The same through standard input, as `tail -f EVENTS | ustack ladder` reads it.
"$USTACK" ladder <"$OUT/dig_tcp.events" >"$OUT/stdin.ladder" 2>&1
cmp -s "$OUT/dig_tcp.ladder" "$OUT/stdin.ladder" || fail "ladder from stdin differs"

# nc through a seeded lossy relay, ustack as the sender: fast recovery (the window cut with its
# reason), RACK retransmissions marked, the cwnd beside each segment.
"$USTACK" replay --color never --side client --events "$OUT/lossy.events" \
  "$CAPS/replay/nc_lossy_sender_side.pcap" >"$OUT/lossy_replay.txt" 2>&1
[ $? -le 1 ] || fail "lossy replay: $(cat "$OUT/lossy_replay.txt")"
"$USTACK" ladder --color never "$OUT/lossy.events" >"$OUT/nc_lossy_sender.ladder" 2>&1 ||
  fail "lossy ladder: exit $?"
grep -q 'RTX(rack) \. 40545:41993(1448)' "$OUT/nc_lossy_sender.ladder" ||
  fail "lossy: no marked retransmission"

# A packetdrill scenario in virtual time (`scenario run --events`): the tail-loss probe, then
# the RTO firing twice with its window cut and backoff.
"$USTACK" scenario run --events "$OUT/backoff.events" --kernel-capture \
  "$SCENARIOS/captures/retransmit_backoff.kernel.pcap" "$SCENARIOS/retransmit_backoff.pkt" \
  >"$OUT/backoff_run.txt" 2>&1 || fail "scenario: exit $?: $(cat "$OUT/backoff_run.txt")"
"$USTACK" ladder --color never "$OUT/backoff.events" >"$OUT/retransmit_backoff.ladder" 2>&1 ||
  fail "scenario ladder: exit $?"

if [ -n "${UPDATE:-}" ]; then
  cp "$OUT/dig_tcp.events" "$OUT/dig_tcp.ladder" "$OUT/nc_lossy_sender.ladder" \
    "$OUT/retransmit_backoff.ladder" \
    "${BUILD_WORKSPACE_DIRECTORY}/tools/events/testdata/"
  echo "updated tools/events/testdata"
  exit 0
fi
for f in dig_tcp.events dig_tcp.ladder nc_lossy_sender.ladder retransmit_backoff.ladder; do
  diff -u "$GOLDEN/$f" "$OUT/$f" >"$OUT/$f.diff" || fail "$f differs from the golden file:
$(head -60 "$OUT/$f.diff")"
done

# --conn: the flow's connection only; another one gives the heading alone.
conn=$(grep -om1 '"conn":"[^"]*"' "$OUT/dig_tcp.events" | cut -d'"' -f4)
"$USTACK" ladder --color never --conn "$conn" "$OUT/dig_tcp.events" >"$OUT/conn.ladder"
[ "$(grep -c '<---\|--->' "$OUT/conn.ladder")" -gt 5 ] || fail "--conn $conn: $(cat "$OUT/conn.ladder")"
grep -q -- '^--- ' "$OUT/conn.ladder" && fail "--conn prints no connection lines"
"$USTACK" ladder --color never --conn "1.2.3.4:1>5.6.7.8:2" "$OUT/dig_tcp.events" >"$OUT/none"
[ "$(wc -l <"$OUT/none")" = 1 ] || fail "--conn of no connection: $(cat "$OUT/none")"
# --color always paints (ANSI escapes); never does not.
"$USTACK" ladder --color always "$OUT/dig_tcp.events" >"$OUT/color.ladder"
grep -q $'\033\[' "$OUT/color.ladder" || fail "--color always: no colour"

# Bad input: one line on stderr, exit 2.
bad() {  # bad NAME WANT_PATTERN: runs the ladder on $OUT/NAME
  "$USTACK" ladder "$OUT/$1" >/dev/null 2>"$OUT/$1.err"
  local rc=$?
  [ "$rc" = 2 ] || fail "$1: exit $rc, want 2"
  [ "$(wc -l <"$OUT/$1.err")" = 1 ] || fail "$1: want one line, got: $(cat "$OUT/$1.err")"
  grep -qE -- "$2" "$OUT/$1.err" || fail "$1: no '$2' in: $(cat "$OUT/$1.err")"
}
head -c 300 "$OUT/dig_tcp.events" >"$OUT/truncated.events"
bad truncated.events '^ustack ladder: .*truncated\.events: line [0-9]+: not JSON \(a truncated or foreign file\?\)$'
cp "$CAPS/replay/dig_tcp.pcap" "$OUT/foreign.events"
bad foreign.events '^ustack ladder: .*foreign\.events: line 1: not JSON'
echo '{"format":"ustack-events","version":9}' >"$OUT/newer.events"
bad newer.events 'line 1: events format version 9, this ustack reads version 1$'
: >"$OUT/empty.events"
bad empty.events 'empty input: not a ustack events file$'
"$USTACK" ladder "$OUT/missing.events" >/dev/null 2>"$OUT/missing.err"
[ $? = 2 ] && grep -q "cannot read" "$OUT/missing.err" || fail "missing file: $(cat "$OUT/missing.err")"

[ "$failures" = 0 ] && echo "PASS" || { echo "$failures failures"; exit 1; }
