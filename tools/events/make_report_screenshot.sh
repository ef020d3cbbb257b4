#!/bin/bash
# Makes docs/report.png, the README's picture of `ustack report`: ustack as the sender of
# nc_lossy_sender_side.pcap (nc through a seeded lossy relay; SACK, fast recovery, RACK
# retransmissions) replayed with --events in the recording's time, its report, and headless
# Chromium's screenshot of that page. Run from anywhere in the tree:
#   tools/events/make_report_screenshot.sh [OUT.png]
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT_PNG="${1:-docs/report.png}"
TMP=$(mktemp -d /tmp/ustack-report-shot.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

bazel build //tools:ustack 2>&1 | grep -v linux-sandbox | tail -1
USTACK=bazel-bin/tools/ustack
rc=0
"$USTACK" replay --color never --side client --events "$TMP/lossy.events" \
  pcap_tests/captures/replay/nc_lossy_sender_side.pcap >"$TMP/replay.txt" 2>&1 || rc=$?
# replay exits 1 when ustack's answers differ from the kernel's: expected here, the events are
# what matters.
[ "$rc" -le 1 ] || { cat "$TMP/replay.txt" >&2; exit 1; }
"$USTACK" report "$TMP/lossy.events" --title "nc_lossy_sender_side.pcap (ustack replay --side client)" \
  -o "$TMP/report.html"
HOME="$TMP" chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --user-data-dir="$TMP/profile" --no-first-run --window-size=1200,1600 \
  --screenshot="$TMP/report.png" "file://$TMP/report.html" 2>/dev/null
cp "$TMP/report.png" "$OUT_PNG"
echo "$OUT_PNG: $(stat -c %s "$OUT_PNG") bytes"
