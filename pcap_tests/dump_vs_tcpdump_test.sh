#!/bin/bash
# `ustack dump` against tcpdump on the same captures, packet for packet: filter expressions
# (libpcap's syntax, so the same packets must be selected), -c, -w then re-read, stdin, -x/-X
# hex dumps, the -t … -ttttt time stamps, and a bad filter (exit 2, one line, libpcap's words).
# Lines are compared by dump_tcpdump_compare.py, which lists the known decode differences.
#
# usage: dump_vs_tcpdump_test.sh PATH/TO/ustack PATH/TO/dump_tcpdump_compare.py
set -uo pipefail

USTACK="$1"
COMPARE="$2"
CAPS="pcap_tests/captures"
TMP="${TEST_TMPDIR:-$(mktemp -d)}"
export TZ=UTC  # tcpdump prints local time, ustack UTC
passed=0
failed=0

ok() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }

command -v tcpdump >/dev/null || { echo "FAIL: tcpdump is not installed" >&2; exit 1; }
# As root tcpdump switches to its own user, who cannot read the runfiles: stay who we are.
tcpdump() { command tcpdump -Z "$(id -un)" "$@"; }

# curl's HTTP download (curl_http.pcap) moved from port 8080 to 80, checksums fixed, so that
# "tcp port 80" selects something.
python3 - "$CAPS/replay/curl_http.pcap" "$TMP/http80.pcap" <<'PY'
import struct, sys
data = bytearray(open(sys.argv[1], "rb").read())
assert struct.unpack_from("<I", data, 0)[0] in (0xa1b2c3d4, 0xa1b23c4d)
at = 24
while at < len(data):
    caplen = struct.unpack_from("<I", data, at + 8)[0]
    p = at + 16  # Ethernet, IPv4, TCP
    ip = p + 14
    if data[p + 12:p + 14] == b"\x08\x00" and data[ip + 9] == 6:
        tcp = ip + (data[ip] & 0xf) * 4
        for field in (tcp, tcp + 2):
            if struct.unpack_from(">H", data, field)[0] == 8080:
                struct.pack_into(">H", data, field, 80)
        end = ip + struct.unpack_from(">H", data, ip + 2)[0]
        struct.pack_into(">H", data, tcp + 16, 0)
        seg = bytes(data[tcp:end])
        pseudo = bytes(data[ip + 12:ip + 20]) + struct.pack(">BBH", 0, 6, len(seg))
        blob = pseudo + seg + (b"\0" if len(seg) % 2 else b"")
        s = sum(struct.unpack(">%dH" % (len(blob) // 2), blob))
        while s >> 16:
            s = (s & 0xffff) + (s >> 16)
        struct.pack_into(">H", data, tcp + 16, ~s & 0xffff)
    at += 16 + caplen
open(sys.argv[2], "wb").write(data)
PY

# same NAME TCPDUMP_ARGS... -- USTACK_ARGS...: both print the same packets (both read $STDIN).
# The outputs are kept and compared at the end, all in one run of dump_tcpdump_compare.py.
mkdir -p "$TMP/cmp"
: >"$TMP/manifest"
n=0
same() {
  local name="$1"
  shift
  local targs=() uargs=()
  while [ "$1" != "--" ]; do targs+=("$1"); shift; done
  shift
  uargs=("$@")
  n=$((n + 1))
  local t="$TMP/cmp/$n.tcpdump" u="$TMP/cmp/$n.ustack"
  # Absolute sequence numbers (-S on both) unless RELATIVE=1: both tools' default.
  local tflags=(-nS) uflags=(-S)
  if [ "${RELATIVE:-0}" = 1 ]; then tflags=(-n) uflags=(); fi
  tcpdump "${tflags[@]}" "${targs[@]}" <"${STDIN:-/dev/null}" >"$t" 2>"$TMP/t.err"
  local trc=$?
  "$USTACK" dump "${uflags[@]}" "${uargs[@]}" <"${STDIN:-/dev/null}" >"$u" 2>"$TMP/u.err"
  local urc=$?
  if [ "$trc" != 0 ] || [ "$urc" != 0 ]; then
    fail "$name: tcpdump exit $trc, ustack exit $urc"; cat "$TMP/t.err" "$TMP/u.err" >&2; return
  fi
  echo "$t $u $name" >>"$TMP/manifest"
}

# --- Filters: the same packets, the same lines ----------------------------------------------
CAPTURES=("$CAPS/mixed.pcap" "$TMP/http80.pcap" "$CAPS/replay/curl_http_v6.pcap"
  "$CAPS/replay/dig_tcp.pcap" "$CAPS/pcapio_tun_raw.pcap" "$CAPS/pcapio_any_sll.pcap"
  "$CAPS/pcapio_veth.pcapng" "$CAPS/replay/nc_lossy_sender_side.pcap")
FILTERS=("tcp port 80" "icmp or arp" "ip6 and udp" "tcp[tcpflags] & tcp-syn != 0" "")
for cap in "${CAPTURES[@]}"; do
  for filter in "${FILTERS[@]}"; do
    same "$(basename "$cap") '$filter'" -r "$cap" $filter -- "$cap" $filter
  done
done
# Relative sequence numbers (tcpdump's default and ustack's): the same numbers on every TCP
# capture, SACK blocks included, and on a filtered selection (tcpdump numbers what it prints).
for cap in "$TMP/http80.pcap" "$CAPS/replay/curl_http_v6.pcap" "$CAPS/replay/dig_tcp.pcap" \
  "$CAPS/replay/nc_lossy_sender_side.pcap" "$CAPS/mixed.pcap"; do
  RELATIVE=1 same "$(basename "$cap") relative" -r "$cap" tcp -- "$cap" tcp
done
RELATIVE=1 same "nc_lossy relative, no pure ACKs" -r "$CAPS/replay/nc_lossy_sender_side.pcap" \
  'tcp[tcpflags] & tcp-push != 0' -- "$CAPS/replay/nc_lossy_sender_side.pcap" \
  'tcp[tcpflags] & tcp-push != 0'
# The counts themselves, pinned, so an empty selection on both sides cannot pass unnoticed.
count() { "$USTACK" dump "$@" | grep -c '^[0-9]'; }
[ "$(count "$TMP/http80.pcap" tcp port 80)" = 38 ] && ok || fail "tcp port 80: not 38 packets"
[ "$(count "$CAPS/mixed.pcap" 'icmp or arp')" = 15 ] && ok || fail "icmp or arp: not 15"
[ "$(count "$CAPS/mixed.pcap" 'ip6 and udp')" = 5 ] && ok || fail "ip6 and udp: not 5"
[ "$(count "$CAPS/mixed.pcap" 'tcp[tcpflags] & tcp-syn != 0')" = 3 ] && ok || fail "syn: not 3"
"$USTACK" dump "$CAPS/mixed.pcap" icmp >"$TMP/summary.txt"
grep -q '^-- 13 packets (of 90 read), 0 undecodable$' "$TMP/summary.txt" && ok ||
  fail "filter summary: $(tail -1 "$TMP/summary.txt")"

# --- Packets cut by a snapshot length: decoded as far as they go, tcpdump's "[|tcp]" marks ----
# ustack writes them itself (replay --pcap --snaplen: raw IP, TCP over IPv4 and IPv6), and
# editcap cuts the mixed capture (ARP, ICMP, NDP, MLD behind Hop-by-Hop, UDP, DNS, fragments)
# and a Linux cooked one at every header boundary that matters: inside the IP header (34), at
# the ports (38, 40), inside TCP's fixed header and its options (46, 54, 60, 70), in the
# payload (80, 100).
command -v editcap >/dev/null || { echo "FAIL: editcap is not installed" >&2; exit 1; }
for snap in 24 40 52 60 66; do
  "$USTACK" replay --color never "$CAPS/replay/curl_http_v6.pcap" --side client \
    --pcap "$TMP/cut6_$snap.pcap" --snaplen "$snap" >/dev/null 2>&1
  "$USTACK" replay --color never "$CAPS/replay/dig_tcp.pcap" --flow 1 \
    --pcap "$TMP/cut4_$snap.pcap" --snaplen "$snap" >/dev/null 2>&1
  for cut in "$TMP/cut6_$snap.pcap" "$TMP/cut4_$snap.pcap"; do
    [ -s "$cut" ] && ok || fail "replay --pcap --snaplen $snap wrote no $cut"
    same "$(basename "$cut")" -r "$cut" -- "$cut"
  done
done
for snap in 34 38 40 46 54 60 70 80 100; do
  for cap in "$CAPS/mixed.pcap" "$CAPS/pcapio_any_sll.pcap" "$CAPS/pcapio_any_sll2.pcap"; do
    cut="$TMP/snap${snap}_$(basename "$cap")"
    editcap -F pcap -s "$snap" "$cap" "$cut"
    same "$(basename "$cap") cut to $snap" -r "$cut" -- "$cut"
  done
done
RELATIVE=1 same "cut to 60, relative" -r "$TMP/cut6_60.pcap" -- "$TMP/cut6_60.pcap"
# A cut packet is not an undecodable one; -v says how much was captured.
"$USTACK" dump "$TMP/snap54_mixed.pcap" >"$TMP/cut_summary.txt"
grep -q '^-- 90 packets, 0 undecodable$' "$TMP/cut_summary.txt" && ok ||
  fail "cut capture summary: $(tail -1 "$TMP/cut_summary.txt")"
grep -q '^25  .*Flags \[S\], seq 2534788365, win 64240, options \[ \[|tcp\]$' \
  "$TMP/cut_summary.txt" && ok || fail "cut SYN: $(grep '^25  ' "$TMP/cut_summary.txt")"
"$USTACK" dump -v -c 1 "$TMP/snap54_mixed.pcap" >"$TMP/cut_v.txt"
grep -q '^  \[captured 54 of 110 bytes\]$' "$TMP/cut_v.txt" && ok || fail "-v: $(cat "$TMP/cut_v.txt")"

# --- -c COUNT, -r FILE, stdin ---------------------------------------------------------------
same "-c 5 tcp" -c 5 -r "$CAPS/mixed.pcap" tcp -- -c 5 "$CAPS/mixed.pcap" tcp
same "-c 1" -c 1 -r "$CAPS/mixed.pcap" -- -c 1 -r "$CAPS/mixed.pcap"
same "-r FILE FILTER" -r "$CAPS/mixed.pcap" udp -- -r "$CAPS/mixed.pcap" udp
STDIN="$CAPS/mixed.pcap" same "stdin" -r - udp -- - udp
[ "$(count -c 4 "$CAPS/mixed.pcap")" = 4 ] && ok || fail "-c 4: not 4 packets"

# --- -w FILE: the selected packets, read back by tcpdump and by ustack -----------------------
for filter in "tcp port 80" "tcp[tcpflags] & tcp-syn != 0"; do
  "$USTACK" dump -w "$TMP/w.pcap" "$TMP/http80.pcap" "$filter" >"$TMP/w.out" 2>&1
  [ $? = 0 ] && ok || fail "-w '$filter': exit code"
  [ -s "$TMP/w.out" ] && fail "-w '$filter' printed: $(cat "$TMP/w.out")" || ok
  tcpdump -nS -r "$TMP/http80.pcap" "$filter" 2>/dev/null >"$TMP/want.txt"
  tcpdump -nS -r "$TMP/w.pcap" 2>/dev/null >"$TMP/got.txt"
  cmp -s "$TMP/want.txt" "$TMP/got.txt" && ok || fail "-w '$filter': tcpdump reads other packets"
done
"$USTACK" dump -c 3 -w "$TMP/w3.pcap" "$CAPS/mixed.pcap" tcp
same "-w -c 3 re-read" -r "$CAPS/mixed.pcap" -c 3 tcp -- "$TMP/w3.pcap"
"$USTACK" dump -w - "$CAPS/replay/dig_tcp.pcap" 'tcp port 53' | "$USTACK" dump - >"$TMP/pipe.txt"
grep -q '^-- 30 packets, 0 undecodable$' "$TMP/pipe.txt" && ok || fail "-w - | dump -"

# --- -x / -X / -xx / -XX: tcpdump's hex dumps -----------------------------------------------
for flag in -x -X -xx -XX; do
  for cap in "$CAPS/mixed.pcap" "$CAPS/replay/dig_tcp.pcap" "$CAPS/pcapio_tun_raw.pcap"; do
    same "$flag $(basename "$cap")" "$flag" -r "$cap" -- "$flag" "$cap"
  done
done

# --- Time stamps: -t … -ttttt ---------------------------------------------------------------
for flag in -t -tt -ttt -tttt -ttttt; do
  same "$flag" "$flag" -r "$CAPS/mixed.pcap" -- "$flag" "$CAPS/mixed.pcap"
  same "$flag udp" "$flag" -r "$CAPS/mixed.pcap" udp -- "$flag" "$CAPS/mixed.pcap" udp
done

# --- A bad filter: exit 2, one line in ustack's words with libpcap's text --------------------
"$USTACK" dump "$CAPS/mixed.pcap" tcp prot 80 >"$TMP/out.txt" 2>"$TMP/err.txt"
rc=$?
[ "$rc" = 2 ] && ok || fail "bad filter: exit code $rc, want 2"
[ "$(wc -l <"$TMP/err.txt")" = 1 ] && ok || fail "bad filter: not one line: $(cat "$TMP/err.txt")"
grep -q "^ustack dump: bad filter expression 'tcp prot 80': can't parse filter expression: syntax error (ustack dump --help)$" "$TMP/err.txt" &&
  ok || fail "bad filter message: $(cat "$TMP/err.txt")"
[ -s "$TMP/out.txt" ] && fail "bad filter: printed packets" || ok
"$USTACK" dump "$CAPS/mixed.pcap" 'ip proto nosuch' >/dev/null 2>"$TMP/err.txt"
rc=$?
[ "$rc" = 2 ] && grep -q "^ustack dump: bad filter expression 'ip proto nosuch': .*nosuch" \
  "$TMP/err.txt" && ok || fail "unknown protocol: exit $rc, $(cat "$TMP/err.txt")"
for args in "-c 0 $CAPS/mixed.pcap" "-tttttt $CAPS/mixed.pcap" ""; do
  "$USTACK" dump $args >/dev/null 2>"$TMP/err.txt"
  rc=$?
  [ "$rc" = 2 ] && [ "$(wc -l <"$TMP/err.txt")" = 1 ] && grep -q '^ustack dump: ' "$TMP/err.txt" &&
    ok || fail "dump $args: exit $rc, $(cat "$TMP/err.txt")"
done

# --- The packet-for-packet comparisons ---------------------------------------------------
python3 "$COMPARE" "$TMP/manifest" >"$TMP/compared.txt"
grep -v '^[0-9]* passed, ' "$TMP/compared.txt" >&2
read -r cmp_passed _ cmp_failed _ < <(tail -1 "$TMP/compared.txt")
passed=$((passed + ${cmp_passed:-0}))
failed=$((failed + ${cmp_failed:-1}))

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
