#!/bin/bash
# `ustack replay --events` on committed captures (pcap_tests/captures/replay/dig_tcp.pcap: dig
# over TCP, ustack as the DNS server) and `ustack ladder` on the result, both pinned byte for
# byte (the replay runs in the recording's virtual time with a fixed seed, so the events are
# the same every run); the ladders of a lossy nc transfer (replay) and of a packetdrill scenario
# with a tail-loss probe and RTO backoff (`scenario run --events`), pinned too. Also the bad
# inputs of `ustack ladder`: one line, exit status 2.
# `ustack explain` on segments of those runs, of packetdrill scenarios (pure ACKs, probes,
# resets, fast retransmit) and of in-memory lab runs (an impairment's drop with its rule, seed
# and draw; fast retransmit by duplicate ACKs and a NewReno partial ACK without SACK; a delayed
# ACK) is pinned in testdata/explain.txt; its bad inputs too.
# Every events file the runs wrote is checked against docs/events.md (events_schema_check.py).
# Regenerate the golden files after an intended change with
#   UPDATE=1 bazel run //tools/events:events_cli_test   (then review the diff)
set -uo pipefail
USTACK="$1"
CAPS="$2"     # pcap_tests/captures
GOLDEN="$3"   # tools/events/testdata
SCENARIOS="$4"  # pcap_tests/scenarios
LOSSY_LAB="$5"  # tools/events:lossy_lab
SCHEMA_CHECK="$6"  # tools/events/events_schema_check.py
EVENTS_DOC="$7"    # docs/events.md
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

# --- ustack explain ----------------------------------------------------------------------
# Event numbers are found in the files (line N + 1 holds event N), so the cases survive new
# events. evno FILE PATTERN [K]: the event on the K-th line matching PATTERN (default 1st);
# sent_after FILE PATTERN [K]: the first segment_sent after it; received_before FILE PATTERN [K]:
# the last segment_received before the K-th match.
evno() { grep -n -- "$2" "$1" | sed -n "${3:-1}p" | cut -d: -f1 | awk '{print $1 - 1}'; }
sent_after() {
  awk -v from="$(($(evno "$1" "$2" "${3:-1}") + 1))" \
    'NR > from && /"event":"segment_sent"/ {print NR - 1; exit}' "$1"
}
received_before() {
  awk -v to="$(($(evno "$1" "$2" "${3:-1}") + 1))" \
    'NR < to && /"event":"segment_received"/ {n = NR - 1} END {print n}' "$1"
}
: >"$OUT/explain.txt"
ex() {  # ex EVENTS ARGS...: appends the command and its output to explain.txt
  local f="$1"
  shift
  echo "\$ ustack explain $(basename "$f") $*" >>"$OUT/explain.txt"
  "$USTACK" explain "$f" "$@" >>"$OUT/explain.txt" 2>&1
  local rc=$?
  [ "$rc" = 0 ] || fail "explain $(basename "$f") $*: exit $rc"
  echo >>"$OUT/explain.txt"
}
scenario() {  # scenario NAME: runs pcap_tests/scenarios/NAME.pkt with --events $OUT/NAME.events
  "$USTACK" scenario run --events "$OUT/$1.events" --kernel-capture \
    "$SCENARIOS/captures/$1.kernel.pcap" "$SCENARIOS/$1.pkt" >"$OUT/$1.run" 2>&1 ||
    fail "scenario $1: $(tail -5 "$OUT/$1.run")"
}
# Retransmissions: the tail-loss probe, the second RTO (backoff 2), RACK, fast retransmit.
ex "$OUT/backoff.events" --segment "$(sent_after "$OUT/backoff.events" '"reason":"tlp"')"
ex "$OUT/backoff.events" --segment \
  "$(sent_after "$OUT/backoff.events" '"retransmit","data":{"reason":"rto"' 2)"
ex "$OUT/lossy.events" --segment "$(sent_after "$OUT/lossy.events" '"reason":"rack"')"
scenario fast_retransmit_sack
F="$OUT/fast_retransmit_sack.events"
ex "$F" --segment "$(sent_after "$F" '"event":"retransmit"')"
# Received: a duplicate ACK (the third, that starts recovery), an ACK of new data.
ex "$F" --segment "$(received_before "$F" '"reason":"fast-retransmit"')"
ex "$OUT/backoff.events" --segment "$(evno "$OUT/backoff.events" '"event":"segment_received"' 3)"
# Pure ACKs: quick ACK, out-of-order data, a gap filled, a challenge ACK; probes and resets:
# a zero-window probe, a keepalive and its reset, a closed port, an abort. why NAME WHY [K]:
# the K-th segment sent with that why in scenario NAME.
why() { ex "$OUT/$1.events" --segment "$(evno "$OUT/$1.events" "\"why\":\"$2\"" "${3:-1}")"; }
for s in data_quickack_then_delayed_ack ooo_sack_blocks rst_in_window_challenge_ack \
  zero_window_probes keepalive_probes_then_reset tcp_closed_port_rst data_nagle dsack_duplicate; do
  scenario "$s"
done
why data_quickack_then_delayed_ack quickack
why ooo_sack_blocks out-of-order
why ooo_sack_blocks gap-filled
why rst_in_window_challenge_ack challenge
why zero_window_probes zero-window-probe 2
why keepalive_probes_then_reset keepalive
why keepalive_probes_then_reset keepalive-timeout
why tcp_closed_port_rst closed-port
why data_quickack_then_delayed_ack abort
# An old duplicate: the segment received, its drop, and the ACK with a D-SACK.
F="$OUT/dsack_duplicate.events"
ex "$F" --segment "$(received_before "$F" '"tcp.drops_unacceptable"')"
ex "$F" --segment "$(evno "$F" '"tcp.drops_unacceptable"')"
why dsack_duplicate out-of-window
# A reset outside the window.
F="$OUT/rst_in_window_challenge_ack.events"
ex "$F" --segment "$(received_before "$F" '"tcp.drops_unacceptable"')"
# ustack receiving through the lossy relay (replay): the retransmission that fills the gap,
# and an ACK for every second full-sized segment.
"$USTACK" replay --color never --events "$OUT/receiver.events" \
  "$CAPS/replay/nc_lossy_receiver_side.pcap" >"$OUT/receiver_replay.txt" 2>&1
[ $? -le 1 ] || fail "receiver replay: $(tail -3 "$OUT/receiver_replay.txt")"
F="$OUT/receiver.events"
ex "$F" --segment "$(received_before "$F" '"why":"gap-filled"')"
ex "$F" --segment "$(evno "$F" '"why":"second-segment"')"
# Data that Nagle held.
F="$OUT/data_nagle.events"
ex "$F" --segment "$(evno "$F" '"event":"segment_sent".*"len":[1-9]' 2)"
# The in-memory lab: an impairment's drop, and (by --conn/--seq) the segment it dropped with
# its repair.
"$LOSSY_LAB" "$OUT/lab.events" || fail "lossy_lab: exit $?"
F="$OUT/lab.events"
ex "$F" --segment "$(evno "$F" '"impair.out.lost_random"')"
lab_conn=$(grep -om1 '"conn":"[^"]*"' "$F" | cut -d'"' -f4)
ex "$F" --conn "$lab_conn" --seq 18825
grep -q 'dropped by the impairment rule loss=5% (seed 7, draw 0\.0' "$OUT/explain.txt" ||
  fail "explain: no impairment drop with its rule, seed and draw"
# The lab with a peer without SACK and NewReno without PRR (--reno): a fast retransmit after
# three duplicate ACKs (no RACK), the window it sets, a duplicate ACK, and the partial ACK with
# the retransmission it triggers (RFC 6582).
"$LOSSY_LAB" --reno "$OUT/reno.events" || fail "lossy_lab --reno: exit $?"
F="$OUT/reno.events"
ex "$F" --segment "$(sent_after "$F" '"reason":"fast-retransmit"')"
ex "$F" --segment "$(received_before "$F" '"reason":"fast-retransmit"')"
ex "$F" --segment "$(sent_after "$F" '"retransmit","data":{"reason":"fast"' 2)"
ex "$F" --segment "$(received_before "$F" '"retransmit","data":{"reason":"fast"' 2)"
grep -q 'RFC 6582 §3.2 step 3' "$OUT/explain.txt" || fail "explain: no partial ACK"
# The first RTO, backoff 1.
ex "$OUT/backoff.events" --segment \
  "$(sent_after "$OUT/backoff.events" '"retransmit","data":{"reason":"rto"' 1)"
# A delayed ACK: the receiver's events of the lab with small lone segments (--delack).
"$LOSSY_LAB" --delack "$OUT/delack_a.events" "$OUT/delack.events" || fail "lossy_lab --delack"
why delack delack

# Every events file of these runs (replay, scenarios, the labs: sender and receiver) holds only
# the events, fields and values docs/events.md documents.
python3 "$SCHEMA_CHECK" "$EVENTS_DOC" "$OUT"/*.events >"$OUT/schema.txt" 2>&1 ||
  fail "events not as docs/events.md documents them:
$(head -20 "$OUT/schema.txt")"
[ "$(ls "$OUT"/*.events | wc -l)" -ge 17 ] || fail "schema: too few events files checked"

if [ -n "${UPDATE:-}" ]; then
  cp "$OUT/dig_tcp.events" "$OUT/dig_tcp.ladder" "$OUT/nc_lossy_sender.ladder" \
    "$OUT/retransmit_backoff.ladder" "$OUT/explain.txt" \
    "${BUILD_WORKSPACE_DIRECTORY}/tools/events/testdata/"
  echo "updated tools/events/testdata"
  exit 0
fi
for f in dig_tcp.events dig_tcp.ladder nc_lossy_sender.ladder retransmit_backoff.ladder explain.txt; do
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
echo '{"qlog_version":"0.3","traces":[]}' >"$OUT/qlog.events"  # JSON, but another format
bad qlog.events 'qlog\.events: line 1: not a ustack events file \(no \{"format":"ustack-events"\} first line\)$'
echo '{"format":"ustack-events","version":9}' >"$OUT/newer.events"
bad newer.events 'line 1: events format version 9, this ustack reads version 1$'
: >"$OUT/empty.events"
bad empty.events 'empty input: not a ustack events file$'
"$USTACK" ladder "$OUT/missing.events" >/dev/null 2>"$OUT/missing.err"
[ $? = 2 ] && grep -q "cannot read" "$OUT/missing.err" || fail "missing file: $(cat "$OUT/missing.err")"

# explain's bad input: one line, exit 2.
bad_explain() {  # bad_explain WANT_PATTERN ARGS...
  local want="$1"
  shift
  "$USTACK" explain "$@" >/dev/null 2>"$OUT/explain.err"
  local rc=$?
  [ "$rc" = 2 ] || fail "explain $*: exit $rc, want 2"
  [ "$(wc -l <"$OUT/explain.err")" = 1 ] || fail "explain $*: want one line, got: $(cat "$OUT/explain.err")"
  grep -qE -- "$want" "$OUT/explain.err" || fail "explain $*: no '$want' in: $(cat "$OUT/explain.err")"
}
bad_explain '^ustack explain: .*truncated\.events: line [0-9]+: not JSON' "$OUT/truncated.events" --segment 1
bad_explain '^ustack explain: .*foreign\.events: line 1: not JSON' "$OUT/foreign.events" --segment 1
bad_explain 'qlog\.events: line 1: not a ustack events file' "$OUT/qlog.events" --segment 1
bad_explain 'line 1: events format version 9, this ustack reads version 1$' "$OUT/newer.events" --segment 1
bad_explain 'dig_tcp\.events: no event 99999: the file has [0-9]+ events' "$OUT/dig_tcp.events" --segment 99999
bad_explain "is a 'state' event; explain takes a segment_sent, segment_received or drop" \
  "$OUT/dig_tcp.events" --segment "$(evno "$OUT/dig_tcp.events" '"event":"state"')"
bad_explain 'no connection 1\.2\.3\.4:1>5\.6\.7\.8:2 in the file' "$OUT/dig_tcp.events" \
  --conn '1.2.3.4:1>5.6.7.8:2' --seq 1
bad_explain 'no segment with data, SYN or FIN at relative sequence number 777 in' \
  "$OUT/dig_tcp.events" --seq 777
bad_explain '^ustack explain: want --segment N, or --seq S \(with --conn C\)' "$OUT/dig_tcp.events"
bad_explain 'cannot read' "$OUT/missing.events" --segment 1
{ head -1 "$OUT/dig_tcp.events"
  echo '{"time":1,"conn":"1.2.3.4:1>5.6.7.8:2","category":"tcp","event":"segment_sent","data":{"flags":"R","seq":1,"ack":1,"len":0,"wnd":0,"why":7}}'
} >"$OUT/malformed.events"  # a field of the wrong type
bad_explain 'malformed\.events: a malformed event: .*type must be string' "$OUT/malformed.events" \
  --segment 1

[ "$failures" = 0 ] && echo "PASS" || { echo "$failures failures"; exit 1; }
