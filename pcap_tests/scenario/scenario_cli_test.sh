#!/bin/bash
# `ustack scenario run` as a user runs it, against ustack: PASS and exit 0 on the example
# scripts, FAIL with the line and exit 1 on a mismatch, one line and exit 2 on a script that
# cannot be read or uses something unsupported.
#
# usage: scenario_cli_test.sh PATH/TO/ustack   (bazel passes $(location //tools:ustack))
set -uo pipefail

USTACK="$1"
TMP="${TEST_TMPDIR:-$(mktemp -d)}"
passed=0
failed=0

ok() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }
expect_line() {
  if grep -Eq -- "$3" "$2"; then ok; else fail "$1: no line matching '$3' in:"; cat "$2" >&2; fi
}
expect_rc() {
  if [ "$2" = "$3" ]; then ok; else fail "$1: exit code $3, want $2"; fi
}

# --- The example scripts pass ----------------------------------------------------------------
for f in tcp_passive_open tcp_passive_open_ipv6 tcp_active_open tcp_closed_port_rst udp_echo; do
  "$USTACK" scenario run "pcap_tests/scenarios/$f.pkt" >"$TMP/out.txt" 2>&1
  expect_rc "$f" 0 $?
  expect_line "$f" "$TMP/out.txt" "^PASS ustack pcap_tests/scenarios/$f.pkt \\([0-9]+ events, [0-9]+ packets\\)$"
done

# --- --show-packets prints the capture, both directions ---------------------------------------
"$USTACK" scenario run pcap_tests/scenarios/udp_echo.pkt --show-packets >"$TMP/show.txt" 2>&1
expect_rc "show-packets" 0 $?
expect_line "inbound" "$TMP/show.txt" '^ +0\.100 < IP 198\.18\.0\.1\.8080 > 198\.18\.0\.2\.8080: UDP, length 100$'
expect_line "outbound" "$TMP/show.txt" '^ +0\.100 > IP 198\.18\.0\.2\.8080 > 198\.18\.0\.1\.8080: UDP, length 20$'

# --- --pcap-dir with --snaplen and --pcap-size (as --pcap takes them) -------------------------
mkdir -p "$TMP/pd"
"$USTACK" scenario run pcap_tests/scenarios/tcp_passive_open.pkt --pcap-dir "$TMP/pd" \
  --snaplen 40 --pcap-size 1 >"$TMP/pd.txt" 2>&1
expect_rc "pcap-dir --snaplen" 0 $?
if python3 - "$TMP/pd/tcp_passive_open.ustack.pcap" <<'PY'; then ok; else fail "pcap-dir --snaplen 40: the records"; fi
import struct, sys
data = open(sys.argv[1], "rb").read()
assert struct.unpack("<I", data[16:20])[0] == 40
off, cut = 24, 0
while off < len(data):
    incl, orig = struct.unpack("<II", data[off + 8:off + 16])
    assert incl == min(orig, 40), (incl, orig)
    cut += orig > incl
    off += 16 + incl
assert cut > 0
PY
"$USTACK" scenario run pcap_tests/scenarios/tcp_passive_open.pkt --snaplen 40 >"$TMP/pd_bad.txt" 2>&1
expect_rc "--snaplen without --pcap-dir" 2 $?
expect_line "--snaplen without --pcap-dir" "$TMP/pd_bad.txt" '^ustack scenario run: --snaplen needs --pcap-dir DIR \(it cuts the packets recorded there\) \(ustack scenario run --help\)$'

# --- --pcap-dir --pcapng: DIR/<script>.ustack.pcapng, the interface described ----------------
mkdir -p "$TMP/ng"
"$USTACK" scenario run pcap_tests/scenarios/tcp_passive_open.pkt --pcap-dir "$TMP/ng" \
  --pcapng >"$TMP/ng.txt" 2>&1
expect_rc "pcap-dir --pcapng" 0 $?
capinfos "$TMP/ng/tcp_passive_open.ustack.pcapng" >"$TMP/ng_info.txt" 2>&1
expect_line "pcapng file type" "$TMP/ng_info.txt" 'File type: +Wireshark/\.\.\. - pcapng'
expect_line "pcapng interface" "$TMP/ng_info.txt" \
  'Description = ustack scenario pcap_tests/scenarios/tcp_passive_open\.pkt \(ustack\)$'
tshark -r "$TMP/ng/tcp_passive_open.ustack.pcapng" -T fields -e frame.comment \
  >"$TMP/ng_comments.txt" 2>/dev/null
expect_line "pcapng SYN-ACK comment" "$TMP/ng_comments.txt" '^SYN-ACK; state SYN_RECEIVED$'
expect_line "pcapng last ACK comment" "$TMP/ng_comments.txt" '^ACK; state TIME_WAIT; cwnd [0-9]+ '

# --- A mismatch: FAIL, the line, exit 1 -------------------------------------------------------
cat >"$TMP/bad.pkt" <<'PKT'
0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
0.1 < S 0:0(0) win 65535 <mss 1460>
+0 > S. 0:0(0) ack 1 win 64240 <...>
PKT
"$USTACK" scenario run "$TMP/bad.pkt" >"$TMP/bad.txt" 2>&1
expect_rc "mismatch" 1 $?
expect_line "mismatch" "$TMP/bad.txt" "^FAIL ustack $TMP/bad.pkt$"
expect_line "mismatch" "$TMP/bad.txt" "^  $TMP/bad.pkt:5: expected S\\. 0:0\\(0\\) ack 1 win 64240 <\\.\\.\\.>, got S\\. 0:0\\(0\\) ack 1 win 65535 <mss 1460> \\(differs: win\\) at 0\\.100 s$"

# --- The IP version from the command line -----------------------------------------------------
"$USTACK" scenario run pcap_tests/scenarios/tcp_passive_open_ipv6.pkt --ip_version ipv4 \
  >"$TMP/v4.txt" 2>&1
expect_rc "ipv6 script run as ipv4 (mss 1440 expected, 1460 sent)" 1 $?
expect_line "ipv4" "$TMP/v4.txt" 'differs: options'

# --- Unsupported and unreadable scripts: one line, exit 2 -------------------------------------
printf '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 poll([{fd=3, events=POLLIN}], 1, 0) = 0\n' \
  >"$TMP/poll.pkt"
"$USTACK" scenario run "$TMP/poll.pkt" >"$TMP/poll.txt" 2>&1
expect_rc "unsupported" 2 $?
expect_line "unsupported" "$TMP/poll.txt" "^ustack scenario: $TMP/poll.pkt:2: unsupported: syscall poll$"
"$USTACK" scenario run "$TMP/missing.pkt" >"$TMP/missing.txt" 2>&1
expect_rc "unreadable" 2 $?
expect_line "unreadable" "$TMP/missing.txt" "^ustack scenario: cannot read $TMP/missing.pkt$"

echo "scenario_cli_test: $passed passed, $failed failed"
[ "$failed" = 0 ]
