#!/bin/bash
# KernelAndUstackBulkWithOffloads: `ustack serve` on a TUN with IFF_VNET_HDR offloads (the
# default: csum, tso4, tso6) and then with --no-offload. Both ways, IPv4 and IPv6, bytes
# checked by SHA-256: random data through ustack's echo (the kernel sends, ustack sends back),
# curl downloading a generated body from ustack's http, nc into discard. With offloads the
# counters must show that super-packets really crossed the device in both directions
# (link.in_gso_packets: the kernel's TSO; link.out_gso_packets and Tcp tso_segs_out: ours),
# that no checksum was refused, and the --pcap must hold packets larger than the MTU (recorded
# as they crossed the device, like tcpdump on the TUN). Without offloads none of that happens.
# Then a TAP (Ethernet frames, ARP/NDP before any TCP) with offloads: the same bytes, and
# super-packets both ways behind an Ethernet header.
source "$(dirname "$0")/lib.sh"
setup_ns
head -c 8000000 /dev/urandom >"$WORK/random.bin"
RANDOM_SHA=$(sha256sum <"$WORK/random.bin" | cut -d' ' -f1)

# echo_roundtrip HOST: sends random.bin to ustack's echo:7 and reads it all back.
echo_roundtrip() {
  in_ns /usr/bin/python3 - "$1" "$WORK/random.bin" <<'PY'
import hashlib, socket, sys, threading
data = open(sys.argv[2], "rb").read()
s = socket.create_connection((sys.argv[1], 7), timeout=30)
def send():
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
t = threading.Thread(target=send)
t.start()
h, n = hashlib.sha256(), 0
while n < len(data):
    b = s.recv(1 << 20)
    if not b:
        break
    h.update(b)
    n += len(b)
t.join()
print(h.hexdigest())
PY
}

fetch_generated() {  # fetch_generated URL_HOST SIZE: the body's SHA-256 equals the definition's
  local out="$WORK/body"
  rm -f "$out"
  in_ns curl -sS -m 60 -o "$out" "http://$1:8080/bytes/$2" || return 1
  [ "$(stat -c %s "$out")" = "$2" ] &&
    [ "$(sha256sum "$out" | cut -d' ' -f1)" = "$(generated_sha256 "$2")" ]
}

# max_pcap_len FILE: the largest original length of a packet in a pcap file.
max_pcap_len() {
  /usr/bin/python3 - "$1" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
e = "<" if d[:4] == b"\xd4\xc3\xb2\xa1" or d[:4] == b"\x4d\x3c\xb2\xa1" else ">"
off, m = 24, 0
while off + 16 <= len(d):
    _, _, incl, orig = struct.unpack(e + "IIII", d[off:off + 16])
    m = max(m, orig)
    off += 16 + incl
print(m)
PY
}

# run_mode NAME OPTIONS...: one `ustack serve` with OPTIONS; checks bytes both ways.
run_mode() {
  local name=$1
  shift
  start_serve "$@" echo:7 discard:9 http:8080
  grep "ready" "$USTACK_LOG"
  check "$name: echo of 8 MB of random data over IPv4" \
    test "$(echo_roundtrip 198.18.0.2)" = "$RANDOM_SHA"
  check "$name: echo of 8 MB of random data over IPv6" \
    test "$(echo_roundtrip fd00:1::2)" = "$RANDOM_SHA"
  check "$name: curl gets 32 MiB over IPv4 with the right SHA-256" \
    fetch_generated 198.18.0.2 33554432
  check "$name: curl gets 16 MiB over IPv6 with the right SHA-256" \
    fetch_generated "[fd00:1::2]" 16777216
  local before after
  before=$(dump_counters | counter Services bytes_in)
  head -c 50000000 /dev/zero | in_ns nc -N -w 30 198.18.0.2 9
  after=$(dump_counters | counter Services bytes_in)
  check "$name: discard received exactly 50 MB from nc ($((after - before)))" \
    test $((after - before)) = 50000000
  COUNTERS=$(dump_counters)
  echo "$COUNTERS" | grep -E "gso|checksum|tso|bad_checksum|segs_in|segs_out"
  check "$name: no TCP segment dropped for its checksum" \
    test "$(echo "$COUNTERS" | counter Tcp drops_bad_checksum)" = 0
}

# Offloads on (the default), with a pcap of what crossed the device.
run_mode "offload" --pcap "$WORK/offload.pcap"
check "offload: the ready line says what the kernel accepted" \
  grep -q "offload csum,tso4,tso6" "$USTACK_LOG"
in_gso=$(echo "$COUNTERS" | counter Link in_gso_packets)
out_gso=$(echo "$COUNTERS" | counter Link out_gso_packets)
out_segs=$(echo "$COUNTERS" | counter Link out_gso_segments)
tso_segs=$(echo "$COUNTERS" | counter Tcp tso_segs_out)
check "offload: the kernel sent TCP super-packets ($in_gso)" test "$in_gso" -gt 0
check "offload: ustack sent TCP super-packets ($out_gso)" test "$out_gso" -gt 0
check "offload: they made more wire segments than packets ($out_segs > $out_gso)" \
  test "$out_segs" -gt "$out_gso"
check "offload: TCP and the link agree on the wire segments ($tso_segs)" \
  test "$tso_segs" = "$out_segs"
check "offload: checksums the kernel vouched for were not recomputed" \
  test "$(echo "$COUNTERS" | counter Link in_checksum_trusted)" -gt 0
stop_ustack
check "offload: ustack exits cleanly" test "$USTACK_RC" = 0
big=$(max_pcap_len "$WORK/offload.pcap")
check "offload: the pcap holds super-packets as they crossed the device ($big > 1500)" \
  test "$big" -gt 1500

# The same without offloads: plain packets, nothing larger than the MTU.
run_mode "no-offload" --no-offload --pcap "$WORK/plain.pcap"
check "no-offload: the ready line says offload off" grep -q "offload off" "$USTACK_LOG"
for c in in_gso_packets out_gso_packets in_checksum_trusted; do
  check "no-offload: Link $c is 0" test "$(echo "$COUNTERS" | counter Link $c)" = 0
done
check "no-offload: Tcp tso_segs_out is 0" test "$(echo "$COUNTERS" | counter Tcp tso_segs_out)" = 0
stop_ustack
big=$(max_pcap_len "$WORK/plain.pcap")
check "no-offload: no packet in the pcap is larger than the MTU ($big)" test "$big" -le 1500

# A TAP device with offloads: the virtio-net header precedes Ethernet frames.
SV_OPTS=(--tap "$SV_DEV" "${SV_OPTS[@]:2}")
run_mode "tap-offload"
check "tap-offload: the ready line says what the kernel accepted" \
  grep -q "offload csum,tso4,tso6" "$USTACK_LOG"
check "tap-offload: the kernel sent super-packets ($(echo "$COUNTERS" | counter Link in_gso_packets))" \
  test "$(echo "$COUNTERS" | counter Link in_gso_packets)" -gt 0
check "tap-offload: ustack sent super-packets ($(echo "$COUNTERS" | counter Link out_gso_packets))" \
  test "$(echo "$COUNTERS" | counter Link out_gso_packets)" -gt 0
stop_ustack
check "tap-offload: ustack exits cleanly" test "$USTACK_RC" = 0
finish
