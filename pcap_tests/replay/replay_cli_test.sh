#!/bin/bash
# `ustack replay` end to end on real captures (pcap_tests/captures/README.md says how each was
# made): the verdicts it reaches on them, the ladder, --list, --json, --pcap, and every bad
# input answered with one line and exit status 2.
set -uo pipefail
USTACK="$1"
CAPS="$2"  # pcap_tests/captures
OUT="${TEST_TMPDIR:-/tmp}/replay_cli.$$"
mkdir -p "$OUT"
trap 'rm -rf "$OUT"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# run NAME EXPECTED_STATUS ARGS...: runs `ustack replay ARGS`, output in $OUT/NAME.
run() {
  local name=$1 want=$2
  shift 2
  "$USTACK" replay --color never "$@" >"$OUT/$name" 2>&1
  local got=$?
  [ "$got" = "$want" ] || fail "$name: exit $got, want $want: $(head -c 600 "$OUT/$name")"
}
expect_line() {  # NAME PATTERN: the output has a line matching PATTERN (grep -E)
  grep -qE -- "$2" "$OUT/$1" || fail "$1: no line matching '$2' in: $(head -c 1500 "$OUT/$1")"
}

# --list: every TCP and UDP flow of the mixed capture, numbered.
run list 0 "$CAPS/mixed.pcap" --list
[ "$(wc -l <"$OUT/list")" = 12 ] || fail "list: want 12 flows, got $(cat "$OUT/list")"
expect_line list '^1  tcp 198\.18\.0\.1:46660 > 198\.18\.0\.2:8080  17 packets'
expect_line list '^12  udp \[fd00:1::1\]:48773 > \[fd00:1::2\]:53'

# A closed port: Linux answered the SYN with a reset, and so does ustack (no listener).
run closed_port 0 "$CAPS/mixed.pcap" --flow 3
expect_line closed_port 'never accepted the connection'
expect_line closed_port '^ +0\.100 >  R\. 0:0\(0\) ack 1 win 0 \[immediate\] +\| =$'
expect_line closed_port 'identical$'

# curl against python's http.server: ustack as the server answers segment for segment like
# Linux, the differences being the receive window policy (built-in allow list) and how the
# recording paced the close (the capture's own allow list).
run curl 0 "$CAPS/replay/curl_http.pcap" --allow "$CAPS/replay/curl_http.pcap.allow"
expect_line curl '^flow 1: tcp, ustack plays the server \(198\.18\.10\.2:8080\)'
expect_line curl '^ +[0-9.]+ >  P\. 1:190\(189\) ack 92 win 65536 <TS> \[immediate\] +\| P\. 1:190\(189\) ack 92 win 262048'
expect_line curl ' 0 unexplained\): allowed-differences$'
expect_line curl '^  win \*: ustack advertises the free space of its receive ring'
# Without the capture's allow list the FIN difference is unexplained: exit 1, marked.
run curl_strict 1 "$CAPS/replay/curl_http.pcap"
expect_line curl_strict '!! flags F\.->\.'
expect_line curl_strict '!! extra$'

# The same page as the client, over IPv6, from a pcapng capture.
run curl6_client 1 "$CAPS/replay/curl_http_v6.pcap" --side client
expect_line curl6_client '^flow 1: tcp, ustack plays the client \(\[fd00:'
expect_line curl6_client '^ +0\.000 >  S 0:0\(0\) win .* <mss 1440,sackOK,TS,wscale [0-9]+> \[app\]'

# dig over UDP and over TCP (an SLL2 capture from tcpdump -i any).
run dig_udp 0 "$CAPS/replay/dig_udp.pcap" --flow 2
expect_line dig_udp 'udp \([0-9]+\) \[immediate\] +\| =$'
expect_line dig_udp 'identical$'
run dig_tcp_list 0 "$CAPS/replay/dig_tcp.pcap" --list
[ "$(wc -l <"$OUT/dig_tcp_list")" = 3 ] || fail "dig_tcp_list: $(cat "$OUT/dig_tcp_list")"
run dig_tcp 0 "$CAPS/replay/dig_tcp.pcap" --flow 1
expect_line dig_tcp '^ +[0-9.]+ >  P\. 1:63\(62\) ack 59 win 65536 <TS> \[immediate\] +\| P\. 1:63\(62\) ack 59 win'
# dig's FIN is acknowledged by dnsmasq's own FIN, in ustack as in Linux (the ACK of a FIN is
# delayed, and the server closes at once).
expect_line dig_tcp '^ +[0-9.]+ >  F\. 63:63\(0\) ack 60 win 65536 <TS> \[immediate\] +\| F\. 63:63\(0\) ack 60 win [0-9]+ <TS> \[immediate\]'

# UDP echo through socat: identical in both roles.
run udp_echo 0 "$CAPS/replay/nc_udp_echo.pcap"
expect_line udp_echo '^5 kernel \(recorded\) segments, 5 ustack segments, 5 peer segments played; 0 differences'
run udp_echo_client 0 "$CAPS/replay/nc_udp_echo.pcap" --side client

# nc through a lossy relay, ustack as the sender: it recovers differently from Linux, falls
# behind, and the replay stops at the first ACK for data ustack never sent — with the reason.
run lossy_sender 1 "$CAPS/replay/nc_lossy_sender_side.pcap" --side client
expect_line lossy_sender '\[fast-rtx\]'
expect_line lossy_sender '^replay stopped: the peer acknowledges [0-9]+ but ustack had sent only up to [0-9]+'
# ... and as the receiver it runs to the end.
run lossy_receiver 1 "$CAPS/replay/nc_lossy_receiver_side.pcap"
expect_line lossy_receiver 'sack 4[0-9]+:4[0-9]+'

# A kernel run with an ICMP "fragmentation needed" (a scenario's capture): the ICMP is played
# with its quoted sequence number moved into ustack's space, and ustack re-sends smaller
# segments just as Linux did.
run pmtu 0 "$CAPS/../scenarios/captures/icmp_frag_needed_pmtu.kernel.pcap"
expect_line pmtu '^ +[0-9.]+ <  ICMP 198\.18\.0\.1 need to frag unreachable \(mtu 1200\)'
expect_line pmtu '^ +[0-9.]+ >  \. 1:1161\(1160\) ack 1 win [0-9]+ \[fast-rtx\] +\| \. 1:1161\(1160\) ack 1 win [0-9]+ \[fast-rtx\]'
expect_line pmtu ' 0 unexplained\): allowed-differences$'

# JSON summary and ustack's side as a capture.
run json 0 "$CAPS/replay/curl_http.pcap" --allow "$CAPS/replay/curl_http.pcap.allow" \
  --json "$OUT/summary.json" --pcap "$OUT/ustack.pcap"
python3 - "$OUT/summary.json" <<'PY' || fail "json: $(cat "$OUT/summary.json")"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["verdict"] == "allowed-differences", j["verdict"]
assert j["unexplained"] == 0 and j["allowed"] > 0
assert j["side"] == "server" and j["flow"] == 1 and j["host"] == "198.18.10.2:8080"
assert all(d["allowed"] and d["reason"] and d["rule"] for d in j["divergences"])
assert j["stopped"] is None
PY
"$USTACK" dump "$OUT/ustack.pcap" >"$OUT/dump" 2>&1 || fail "dump of --pcap: $(cat "$OUT/dump")"
expect_line dump '198\.18\.10\.2\.8080 > 198\.18\.10\.1\.[0-9]+: Flags \[S\.\]'
# --pcap FILE.pcapng: pcapng (by the name), the interface described, each packet's direction.
run pcapng 0 "$CAPS/replay/curl_http.pcap" --allow "$CAPS/replay/curl_http.pcap.allow" \
  --pcap "$OUT/ustack.pcapng"
capinfos "$OUT/ustack.pcapng" >"$OUT/capinfos" 2>&1 || fail "capinfos: $(cat "$OUT/capinfos")"
expect_line capinfos 'File type: +Wireshark/\.\.\. - pcapng'
expect_line capinfos 'Description = ustack replay of .*curl_http\.pcap$'
tshark -r "$OUT/ustack.pcapng" -T fields -e frame.p2p_dir -e tcp.flags.str -e frame.comment \
  >"$OUT/tshark_pcapng" 2>/dev/null || fail "tshark cannot read the pcapng"
# A received segment's comment says what it did (written once the stack handled it).
expect_line tshark_pcapng $'^1\t··········S·\tSYN; state SYN_RECEIVED$'
expect_line tshark_pcapng $'^1\t·······A····\tACKs our SYN; cwnd [0-9]+; state ESTABLISHED$'
expect_line tshark_pcapng $'^0\t·······A··S·\tSYN-ACK; state SYN_RECEIVED$'
# Segments ustack retransmitted say why (the tracer's retransmit reason, tun/pcap_comments.h).
run pcapng_lossy 1 "$CAPS/replay/nc_lossy_sender_side.pcap" --side client \
  --pcap "$OUT/lossy.pcapng"
tshark -r "$OUT/lossy.pcapng" -T fields -e frame.comment >"$OUT/lossy_comments" 2>/dev/null ||
  fail "tshark cannot read lossy.pcapng"
expect_line lossy_comments '^retransmit \([a-z]+\): data; state ESTABLISHED; cwnd [0-9]+ ssthresh [0-9]+$'
# The ACKs ustack received: new data acknowledged with the window's growth, duplicate ACKs.
expect_line lossy_comments '^ACKs [0-9]+ bytes; cwnd [0-9]+→[0-9]+; state ESTABLISHED$'
expect_line lossy_comments '^dup ACK #2; state ESTABLISHED$'
# --pcap with --snaplen and --pcap-size, as the device options' --pcap takes them: each record
# cut to 64 octets with its original length kept, the file's snaplen 64; one file, as it stays
# under 1 MB.
run snaplen 0 "$CAPS/replay/curl_http.pcap" --allow "$CAPS/replay/curl_http.pcap.allow" \
  --pcap "$OUT/cut.pcap" --snaplen 64 --pcap-size 1
python3 - "$OUT/cut.pcap" <<'PY' || fail "snaplen: the records of --pcap --snaplen 64"
import struct, sys
data = open(sys.argv[1], "rb").read()
magic, _, _, _, _, snaplen, _ = struct.unpack("<IHHiIII", data[:24])
assert snaplen == 64, snaplen
off, cut = 24, 0
while off < len(data):
    _, _, incl, orig = struct.unpack("<IIII", data[off:off + 16])
    assert incl <= 64 and incl == min(orig, 64), (incl, orig)
    cut += orig > incl
    off += 16 + incl
assert cut > 0, "no record was cut"
PY
[ ! -e "$OUT/cut.pcap1" ] || fail "snaplen: --pcap-size 1 rotated a file under 1 MB"
run snaplen_bad 2 "$CAPS/replay/curl_http.pcap" --snaplen 64
expect_line snaplen_bad '^ustack replay: --snaplen needs --pcap FILE \(it cuts the packets recorded there\) \(ustack replay --help\)$'
run json_stdout 1 "$CAPS/replay/nc_lossy_sender_side.pcap" --side client --json -
grep -q '"stopped": "the peer acknowledges' "$OUT/json_stdout" || fail "json_stdout: no stop"

# Offloaded checksums (tcpdump on a veth): said, and replayed with correct checksums; the
# TSO super-segments Linux handed the veth do not match ustack's MSS-sized ones.
run offload 1 "$CAPS/replay/bad_offloaded_checksums.pcap"
expect_line offload '^note: 16 packets of the flow have bad TCP/UDP checksums'

# Bad input: one line, exit 2.
bad() {  # NAME PATTERN ARGS...
  local name=$1 pattern=$2
  shift 2
  run "$name" 2 "$@"
  [ "$(wc -l <"$OUT/$name")" = 1 ] || [ "$name" = several_flows ] ||
    fail "$name: want one line, got $(cat "$OUT/$name")"
  expect_line "$name" "$pattern"
}
bad missing '^ustack replay: cannot read /nonexistent\.pcap: No such file or directory$' /nonexistent.pcap
bad not_capture 'is not a pcap or pcapng capture' "$CAPS/replay/not_a_capture.pcap"
bad truncated '^ustack replay: .*bad_truncated\.pcap: truncated dump file' "$CAPS/replay/bad_truncated.pcap"
bad no_flows '^ustack replay: the capture holds no TCP or UDP packet to replay$' "$CAPS/replay/bad_no_tcp_udp.pcap"
bad midstream 'flow 1 starts without its handshake \(the capture began mid-connection\); replay needs the SYN$' "$CAPS/replay/midstream.pcap"
bad no_such_flow '^ustack replay: no flow 99 in the capture \(it has 12\)$' "$CAPS/mixed.pcap" --flow 99
bad several_flows '^ustack replay: the capture holds 12 flows; choose one with --flow N:$' "$CAPS/mixed.pcap"
expect_line several_flows '^  3  tcp 198\.18\.0\.1:45294 > 198\.18\.0\.2:81'
run bad_side 2 "$CAPS/mixed.pcap" --side middle  # CLI11: not one of client/server
"$USTACK" replay "$CAPS/mixed.pcap" --flow 1 --allow "$CAPS/replay/not_a_capture.pcap" >"$OUT/bad_allow" 2>&1
[ $? = 2 ] || fail "bad_allow: want exit 2: $(cat "$OUT/bad_allow")"
expect_line bad_allow 'not_a_capture\.pcap:1: '

echo "$failures failures"
[ "$failures" = 0 ]
