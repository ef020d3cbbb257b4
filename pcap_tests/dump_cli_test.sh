#!/bin/bash
# `ustack dump` as a user runs it: on the real captures in captures/, with -v, and on bad
# input (missing file, not a capture, damaged capture, a packet with a bad checksum).
#
# usage: dump_cli_test.sh PATH/TO/ustack   (bazel passes $(location //tools:ustack))
set -uo pipefail

USTACK="$1"
CAPS="pcap_tests/captures"
TMP="${TEST_TMPDIR:-$(mktemp -d)}"
passed=0
failed=0

ok() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }

# expect_line NAME FILE PATTERN: FILE has a line matching the (grep -E) PATTERN.
expect_line() {
  if grep -Eq -- "$3" "$2"; then ok; else fail "$1: no line matching '$3' in:"; cat "$2" >&2; fi
}
# expect_rc NAME WANT GOT
expect_rc() {
  if [ "$2" = "$3" ]; then ok; else fail "$1: exit code $3, want $2"; fi
}

# --- The mixed capture: every packet decoded, one line each ---------------------------------
"$USTACK" dump "$CAPS/mixed.pcap" >"$TMP/mixed.txt" 2>"$TMP/mixed.err"
expect_rc "dump mixed.pcap" 0 $?
expect_line "summary" "$TMP/mixed.txt" '^-- 90 packets, 0 undecodable$'
expect_line "index and time" "$TMP/mixed.txt" '^1  [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}  IP6 '
expect_line "arp" "$TMP/mixed.txt" '  ARP, Request who-has 198\.18\.0\.2 tell 198\.18\.0\.1'
expect_line "tcp syn" "$TMP/mixed.txt" \
  'IP 198\.18\.0\.1\.[0-9]+ > 198\.18\.0\.2\.8080: Flags \[S\], seq [0-9]+, win 64240, options \[mss 1460,sackOK,TS val [0-9]+ ecr 0,nop,wscale 10\], length 0$'
expect_line "tcp over ipv6" "$TMP/mixed.txt" 'IP6 fd00:1::2\.8080 > fd00:1::1\.[0-9]+: Flags \[S\.\]'
expect_line "ndp" "$TMP/mixed.txt" 'IP6 fd00:1::1 > ff02::1:ff00:2: ICMP6, neighbor solicitation, who has fd00:1::2'
expect_line "dns" "$TMP/mixed.txt" '198\.18\.0\.2\.53 > 198\.18\.0\.1\.[0-9]+: DNS id 0x[0-9a-f]{4} qr aa rd ra A\? web\.ustack\.test\. / CNAME www\.ustack\.test\., A 198\.18\.0\.80'
expect_line "nxdomain" "$TMP/mixed.txt" 'NXDOMAIN A\? nothing\.ustack\.test\.'
expect_line "ipv4 fragment" "$TMP/mixed.txt" 'IP 198\.18\.0\.1 > 198\.18\.0\.2: ICMP \(frag [0-9]+:1480@1480\+\)$'
expect_line "ipv6 fragment" "$TMP/mixed.txt" 'IP6 fd00:1::1 > fd00:1::2: frag \(0x[0-9a-f]{8}:1448@0\+\) ICMP6, echo request'
expect_line "hbh dstopt" "$TMP/mixed.txt" 'IP6 fd00:1::1 > fd00:1::2: HBH DSTOPT ICMP6, echo request'
expect_line "mld" "$TMP/mixed.txt" 'IP6 fe80::c6ff:fe12:1 > ff02::16: HBH ICMP6, multicast listener report v2, 2 group record\(s\) \[gaddr ff02::1:ff12:1 to_ex \{ \}\] \[gaddr ff02::1:ff00:1 to_ex \{ \}\], length 48$'
expect_line "icmp error" "$TMP/mixed.txt" 'ICMP 198\.18\.0\.2 udp port 5556 unreachable'
if [ -s "$TMP/mixed.err" ]; then fail "stderr not empty:"; cat "$TMP/mixed.err" >&2; else ok; fi

# --- -v: every field of every layer ---------------------------------------------------------
"$USTACK" dump -v "$CAPS/mixed.pcap" >"$TMP/verbose.txt"
expect_rc "dump -v" 0 $?
for block in ethernet arp ipv4 ipv6 tcp udp dns icmp icmp6 ndp mld; do
  expect_line "-v [$block]" "$TMP/verbose.txt" "^  \[$block\]$"
done
expect_line "-v ipv4 field" "$TMP/verbose.txt" '^    ttl: 64$'
expect_line "-v ipv6 ext header" "$TMP/verbose.txt" '^    extension header: HBH \(0\) at offset 40'

# --- Other link types: Linux cooked SLL/SLL2, raw IP (TUN), pcapng --------------------------
for f in pcapio_any_sll.pcap pcapio_any_sll2.pcap pcapio_tun_raw.pcap pcapio_veth.pcapng; do
  "$USTACK" dump "$CAPS/$f" >"$TMP/$f.txt" 2>&1
  expect_rc "dump $f" 0 $?
  expect_line "$f summary" "$TMP/$f.txt" '^-- [1-9][0-9]* packets, 0 undecodable$'
  expect_line "$f ping" "$TMP/$f.txt" 'ICMP echo request, id [0-9]+, seq 1'
done

# --- Undecodable packets are counted by layer and reason ------------------------------------
# Flip one payload byte of the UDP datagram "hello over udp": its checksum no longer verifies.
python3 - "$CAPS/mixed.pcap" "$TMP/badsum.pcap" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
at = data.find(b"hello over udp")
assert at > 0
data[at] ^= 0x20
open(sys.argv[2], "wb").write(data)
PY
"$USTACK" dump "$TMP/badsum.pcap" >"$TMP/badsum.txt"
expect_rc "dump bad checksum" 0 $?
expect_line "bad checksum line" "$TMP/badsum.txt" '  IP 198\.18\.0\.1 > 198\.18\.0\.2: \[udp: bad_checksum\]$'
expect_line "bad checksum summary" "$TMP/badsum.txt" '^-- 90 packets, 1 undecodable: 1 udp: bad_checksum$'
"$USTACK" dump --no-verify-checksums "$TMP/badsum.pcap" >"$TMP/nocheck.txt"
expect_line "--no-verify-checksums" "$TMP/nocheck.txt" '^-- 90 packets, 0 undecodable$'

# --- Errors: one line on stderr, exit code 1 ------------------------------------------------
"$USTACK" dump "$TMP/does-not-exist.pcap" >"$TMP/out.txt" 2>"$TMP/err.txt"
expect_rc "missing file" 1 $?
expect_line "missing file message" "$TMP/err.txt" '^ustack dump: .*does-not-exist\.pcap.*No such file'
if [ "$(wc -l <"$TMP/err.txt")" = 1 ]; then ok; else fail "missing file: not one line"; fi

echo "this is not a capture" >"$TMP/text.pcap"
"$USTACK" dump "$TMP/text.pcap" >"$TMP/out.txt" 2>"$TMP/err.txt"
expect_rc "not a capture" 1 $?
expect_line "not a capture message" "$TMP/err.txt" '^ustack dump: .*text\.pcap.* not a pcap or pcapng'

# Link type 105 (IEEE 802.11): a valid pcap header, a type we do not read.
python3 -c 'import struct,sys; sys.stdout.buffer.write(struct.pack("<IHHiIII",0xa1b2c3d4,2,4,0,0,65535,105))' >"$TMP/wifi.pcap"
"$USTACK" dump "$TMP/wifi.pcap" >"$TMP/out.txt" 2>"$TMP/err.txt"
expect_rc "unsupported link type" 1 $?
expect_line "unsupported link type message" "$TMP/err.txt" '^ustack dump: .*105'

# A capture cut in the middle of a record: what was read is printed, then the error, exit 1.
head -c 2000 "$CAPS/mixed.pcap" >"$TMP/cut.pcap"
"$USTACK" dump "$TMP/cut.pcap" >"$TMP/out.txt" 2>"$TMP/err.txt"
expect_rc "damaged capture" 1 $?
expect_line "damaged capture summary" "$TMP/out.txt" '^-- [1-9][0-9]* packets, 0 undecodable$'
expect_line "damaged capture message" "$TMP/err.txt" '^ustack dump: stopped after packet [0-9]+: '

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
