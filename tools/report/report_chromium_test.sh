#!/bin/bash
# `ustack report` pages opened in headless Chromium (Debian's chromium) from file:// with no
# network: the page logs nothing to the console (no error, no blocked request) and its charts
# hold as many points as the events imply (report_check.py). Deterministic runs with losses:
# nc through a seeded lossy relay replayed with ustack as the sender (SACK, fast recovery, RACK
# retransmissions) and as the receiver, and a packetdrill scenario in virtual time (a tail-loss
# probe, then the RTO twice). Also zoom kept in step across a connection's charts, a connection
# name that tries to leave its script, and `ustack report`'s bad inputs: one line, exit 2.
set -uo pipefail
USTACK="$1"
CAPS="$2"       # pcap_tests/captures
SCENARIOS="$3"  # pcap_tests/scenarios
CHECK="$4"      # tools/report/report_check.py
OUT="${TEST_TMPDIR:-/tmp}/report_chromium.$$"
mkdir -p "$OUT"
trap 'rm -rf "$OUT"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

command -v chromium >/dev/null || { echo "FAIL: no chromium (tools/setup.sh installs it)"; exit 1; }

"$USTACK" replay --color never --side client --events "$OUT/lossy.events" \
  "$CAPS/replay/nc_lossy_sender_side.pcap" >"$OUT/lossy_replay.txt" 2>&1
[ $? -le 1 ] || fail "lossy replay: $(cat "$OUT/lossy_replay.txt")"
"$USTACK" scenario run --events "$OUT/backoff.events" --kernel-capture \
  "$SCENARIOS/captures/retransmit_backoff.kernel.pcap" "$SCENARIOS/retransmit_backoff.pkt" \
  >"$OUT/backoff_run.txt" 2>&1 || fail "scenario: exit $?: $(cat "$OUT/backoff_run.txt")"

# open NAME: renders $OUT/NAME.html, DOM to NAME.dom, Chromium's log to NAME.log.
open_page() {
  HOME="$OUT/home" timeout 180 chromium --headless --no-sandbox --disable-gpu \
    --user-data-dir="$OUT/profile-$1" --no-first-run --disable-extensions \
    --enable-logging=stderr --v=0 --virtual-time-budget=5000 \
    --dump-dom "file://$OUT/$1.html" >"$OUT/$1.dom" 2>"$OUT/$1.log"
}

# ustack as the receiver: the graph is of the peer's data.
"$USTACK" replay --color never --events "$OUT/receiver.events" \
  "$CAPS/replay/nc_lossy_receiver_side.pcap" >"$OUT/receiver_replay.txt" 2>&1
[ $? -le 1 ] || fail "receiver replay: $(cat "$OUT/receiver_replay.txt")"

# A connection name no string may break out with: the page must still finish, show it as text
# and log nothing (the CSP would also log a blocked inline handler).
sed 's#"conn":"[^"]*"#"conn":"</script><script>document.title=1</script><img src=x onerror=alert(1)>"#' \
  "$OUT/backoff.events" >"$OUT/evil.events"

for run in "lossy 1" "backoff 1" "receiver 0" "evil 1"; do
  set -- $run
  name=$1 recovery=$2
  "$USTACK" report "$OUT/$name.events" -o "$OUT/$name.html" 2>"$OUT/$name.err" ||
    { fail "report $name: exit $?: $(cat "$OUT/$name.err")"; continue; }
  open_page "$name" || fail "chromium on $name: exit $?: $(tail -5 "$OUT/$name.log")"
  python3 "$CHECK" "$OUT/$name.events" "$OUT/$name.dom" "$OUT/$name.log" "$recovery" ||
    fail "$name page"
done
grep -q 'Time-sequence (data received by the stack)' "$OUT/receiver.dom" ||
  fail "receiver: not graphed as the peer's data"
grep -q '<h2>&lt;/script&gt;&lt;script&gt;document.title=1&lt;/script&gt;&lt;img src=x' \
  "$OUT/evil.dom" || fail "evil: the name is not shown as text: $(grep -m1 '<h2' "$OUT/evil.dom")"

# Zooming one chart zooms its connection's others: the test's own script, appended to a copy
# of the page, zooms the time-sequence graph out (as a double-click does) and records every
# chart's x range.
sed 's#</body>#<script>const c = ustackCharts; c[0].updateOptions({dateWindow: [1, 2]}); c[0].resetZoom(); document.body.dataset.ranges = JSON.stringify(c.map((g) => g.xAxisRange().map((x) => x.toFixed(3))));</script></body>#' \
  "$OUT/lossy.html" >"$OUT/zoom.html"
open_page zoom || fail "chromium on zoom: exit $?"
ranges=$(grep -o 'data-ranges="[^"]*"' "$OUT/zoom.dom")
[ "$ranges" = 'data-ranges="[[&quot;0.000&quot;,&quot;2.596&quot;],[&quot;0.000&quot;,&quot;2.596&quot;],[&quot;0.000&quot;,&quot;2.596&quot;]]"' ] ||
  fail "zoom: the three charts' ranges after a zoom-out of the first: $ranges"

# --conn: that connection's report; a connection the events do not have is an error.
conn=$(grep -om1 '"conn":"[^"]*"' "$OUT/lossy.events" | cut -d'"' -f4)
"$USTACK" report --conn "$conn" "$OUT/lossy.events" -o "$OUT/conn.html" || fail "--conn $conn"
grep -q 'id="ustack-data"' "$OUT/conn.html" || fail "--conn: no data in the page"

# Bad input: one line on stderr, exit 2, no page written.
bad() {  # bad NAME WANT_PATTERN [ARGS...]: the report of $OUT/NAME
  local name=$1 want=$2
  shift 2
  "$USTACK" report "$@" "$OUT/$name" -o "$OUT/$name.html" >/dev/null 2>"$OUT/$name.err"
  local rc=$?
  [ "$rc" = 2 ] || fail "$name: exit $rc, want 2"
  [ "$(wc -l <"$OUT/$name.err")" = 1 ] || fail "$name: want one line, got: $(cat "$OUT/$name.err")"
  grep -qE -- "$want" "$OUT/$name.err" || fail "$name: no '$want' in: $(cat "$OUT/$name.err")"
  [ -e "$OUT/$name.html" ] && fail "$name: a page was written"
}
head -c 300 "$OUT/lossy.events" >"$OUT/truncated.events"
bad truncated.events '^ustack report: .*truncated\.events: line [0-9]+: not JSON \(a truncated or foreign file\?\)$'
cp "$CAPS/replay/nc_lossy_sender_side.pcap" "$OUT/foreign.events"
bad foreign.events '^ustack report: .*foreign\.events: line 1: not JSON'
echo '{"qlog_version":"0.3","traces":[]}' >"$OUT/qlog.events"  # JSON, but another format
bad qlog.events 'qlog\.events: line 1: not a ustack events file \(no \{"format":"ustack-events"\} first line\)$'
echo '{"format":"ustack-events","version":9}' >"$OUT/newer.events"
bad newer.events 'line 1: events format version 9, this ustack reads version 1$'
: >"$OUT/empty.events"
bad empty.events 'empty input: not a ustack events file$'
cp "$OUT/lossy.events" "$OUT/other.events"
bad other.events 'no connection 1\.2\.3\.4:1>5\.6\.7\.8:2 ' --conn '1.2.3.4:1>5.6.7.8:2'
"$USTACK" report "$OUT/missing.events" -o "$OUT/missing.html" 2>"$OUT/missing.err"
[ $? = 2 ] && grep -q "cannot read" "$OUT/missing.err" || fail "missing file: $(cat "$OUT/missing.err")"

[ "$failures" = 0 ] && echo "PASS" || { echo "$failures failures"; exit 1; }
