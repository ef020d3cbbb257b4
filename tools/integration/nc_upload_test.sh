#!/bin/bash
# NcSends100MiBToUstackBulkAndDiscard: the kernel's nc streams 100 MiB to `ustack serve`; the
# bulk protocol's byte count and the discard service's byte counter must match exactly. Also
# the bulk 'R' direction (ustack streams for N seconds) and IPv6.
source "$(dirname "$0")/lib.sh"
setup_ns
start_serve bulk:5001 discard:9
N=104857600

bulk_count() {  # bulk_count HOST BYTES: the server's 8-byte little-endian count
  { printf S; head -c "$2" /dev/zero; } | in_ns nc -N -w 30 "$1" 5001 | od -An -t u8 | tr -d ' '
}
got=$(bulk_count 198.18.0.2 $N)
check "bulk S: ustack counted 100 MiB from nc over IPv4 (got $got)" test "$got" = "$N"
got=$(bulk_count fd00:1::2 10485760)
check "bulk S: ustack counted 10 MiB from nc over IPv6 (got $got)" test "$got" = 10485760

before=$(dump_counters | counter Services bytes_in)
head -c $N /dev/zero | in_ns nc -N -w 30 198.18.0.2 9
check "nc to discard exits cleanly" test $? = 0
after=$(dump_counters | counter Services bytes_in)
check "discard received exactly 100 MiB ($((after - before)))" test $((after - before)) = $N

# bulk R: 'R' + 2 s little-endian; ustack streams for 2 s (its own clock) and closes. How long
# it streams is not asserted here (wall-clock; //tools/services:tcp_host_test pins the deadline
# in virtual time): the kernel must get a clean end of stream and every byte ustack sent.
sent_before=$(dump_counters | counter Services bytes_out)
out=$(in_ns /usr/bin/python3 - <<'PY'
import socket, struct, time
s = socket.create_connection(("198.18.0.2", 5001), timeout=10)
t0 = time.monotonic()
s.sendall(b"R" + struct.pack("<I", 2))
n = 0
while True:
    b = s.recv(1 << 20)
    if not b:
        break
    if b.strip(b"x"):
        raise SystemExit("unexpected byte in the stream")
    n += len(b)
print(n, round(time.monotonic() - t0, 2))
PY
)
bytes=${out% *}
secs=${out#* }
echo "  bulk R: $bytes bytes in $secs s"
sent_after=$(dump_counters | counter Services bytes_out)
check "bulk R streamed more than 1 MB and closed" test "${bytes:-0}" -gt 1000000
check "the kernel received every byte ustack's bulk R sent ($((sent_after - sent_before)))" \
  test "$((sent_after - sent_before))" = "${bytes:-0}"

c=$(dump_counters)
check "no connection failed" test "$(echo "$c" | counter Services connection_failed)" = 0
finish
