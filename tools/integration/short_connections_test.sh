#!/bin/bash
# TwoHundredShortConnectionsCloseCleanly: 200 sequential connections from the kernel to
# `ustack serve`, each closed cleanly. The side that closes first keeps TIME_WAIT; nothing
# else may be left over on either side (kernel: ss -tan; ustack: its socket count).
source "$(dirname "$0")/lib.sh"
setup_ns
start_serve echo:5002 http:8080
LISTENERS=4  # two services, IPv4 and IPv6 each

# Client closes first (shutdown after its request, then close): kernel keeps TIME_WAIT.
out=$(in_ns /usr/bin/python3 - <<'PY'
import socket
bad = 0
for i in range(200):
    s = socket.create_connection(("198.18.0.2", 5002), timeout=5)
    msg = b"ping %d" % i
    s.sendall(msg)
    s.shutdown(socket.SHUT_WR)
    got = b""
    while True:
        b = s.recv(4096)
        if not b:
            break
        got += b
    s.close()
    bad += got != msg
print(bad)
PY
)
check "200 echo connections answered correctly (bad: $out)" test "$out" = 0
sleep 0.3
states=$(in_ns ss -Htan "( sport = :5002 or dport = :5002 )" | awk '{print $1}' | sort | uniq -c |
  tr -s ' ' | tr '\n' ';')
echo "  kernel sockets: $states"
check "kernel: only 200 TIME-WAIT left (the closing side)" test "$states" = " 200 TIME-WAIT;"
c=$(dump_counters)
check "ustack: no connection left besides the listeners" \
  test "$(echo "$c" | counter Tcp sockets)" = $LISTENERS

# Server closes first (HTTP/1.0): ustack keeps TIME_WAIT, the kernel keeps nothing.
out=$(in_ns /usr/bin/python3 - <<'PY'
import socket
bad = 0
for i in range(200):
    s = socket.create_connection(("198.18.0.2", 8080), timeout=5)
    s.sendall(b"GET /bytes/%d HTTP/1.0\r\n\r\n" % (i + 1))
    got = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        got += b
    s.close()
    head, _, body = got.partition(b"\r\n\r\n")
    bad += not head.startswith(b"HTTP/1.1 200") or len(body) != i + 1
print(bad)
PY
)
check "200 HTTP/1.0 requests answered correctly (bad: $out)" test "$out" = 0
sleep 0.3
left=$(in_ns ss -Htan "( sport = :8080 or dport = :8080 )" | wc -l)
check "kernel: no socket left after server-side closes ($left)" test "$left" = 0
c=$(dump_counters)
tw=$(echo "$c" | counter Tcp sockets)
check "ustack: listeners + 200 in TIME_WAIT ($tw sockets)" test "$tw" = $((LISTENERS + 200))
check "no connection failed" test "$(echo "$c" | counter Services connection_failed)" = 0
finish
