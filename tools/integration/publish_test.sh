#!/bin/bash
# `ustack sandbox --publish` and `--api-socket` (issue 13 item 2): host ports forwarded into the
# sandbox, the guest seeing each client's own address; slirp4netns's JSON API adding, listing
# and removing forwards at run time. Real programs on both sides:
#
#   netns ustsbp<pid> (the sandbox)              netns ustns<pid> (plays the host)
#     tap0 198.18.5.100/24, fd00:5::100/64  <->  ustack sandbox --publish ... --api-socket
#                                                  --enable-seccomp (all of it under the filter)
#     servers: python http.server :80,           clients on 198.18.9.1, .7 and fd00:9::1 (lo),
#     a TCP and a UDP server answering            and on 127.0.0.1: curl, nc -U, python
#     "you are ADDR PORT"
#
# Checks: curl downloading 4 MiB (SHA-256) through a published port with the guest's log
# naming the client's own address, nc -N uploading 4 MiB (half-close relayed), the client's
# address and port seen by the guest over IPv4 and IPv6, a loopback client shown as the
# gateway, a guest port nobody listens on resetting the host client, UDP both ways (IPv4 and
# IPv6) with the client's address preserved, the API (nc -U and python) adding, listing and
# removing a forward, and its errors.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

SB="ustsbp${ID}"
EXTRA_NS+=("$SB")
H=198.18.9.1    # the host's address the clients connect to
C=198.18.9.7    # a second address of the host the clients connect from
H6=fd00:9::1
# A UNIX socket path has at most 107 bytes: Bazel's $TEST_TMPDIR is too deep for one.
API_DIR=$(mktemp -d /tmp/ustapi.XXXXXX)
API="$API_DIR/api.sock"
trap 'cleanup; rm -rf "$API_DIR"' EXIT
in_sb() { ip netns exec "$SB" "$@"; }

require_root
ip netns add "$NS" || die "cannot create netns $NS"
ip netns add "$SB" || die "cannot create netns $SB"
in_ns ip link set lo up
for a in "$H/32" "$C/32"; do in_ns ip addr add "$a" dev lo; done
in_ns ip addr add "$H6/128" dev lo nodad
in_sb sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0

# --- servers in the sandbox (started once its tap0 is up, below) ---
mkdir -p "$WORK/www"
head -c $((4 * 1024 * 1024)) /dev/urandom >"$WORK/www/blob"
cat >"$WORK/guest.py" <<'PY'
import hashlib, socket, sys, threading
def tcp_whoami(port):  # answers each connection with the peer it sees, then closes
    s = socket.create_server(("::", port), family=socket.AF_INET6, dualstack_ipv6=True)
    while True:
        c, peer = s.accept()
        c.sendall(b"you are %s %d\n" % (peer[0].removeprefix("::ffff:").encode(), peer[1]))
        c.close()
def udp_whoami(port):
    u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    u.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0); u.bind(("::", port))
    while True:
        d, peer = u.recvfrom(65535)
        u.sendto(d + b" you are %s %d" % (peer[0].removeprefix("::ffff:").encode(), peer[1]), peer)
def sink_then_answer(port):  # reads to EOF, then answers with the SHA-256 of what came
    s = socket.create_server(("", port))
    while True:
        c, _ = s.accept(); h = hashlib.sha256()
        while (b := c.recv(65536)): h.update(b)
        c.sendall(h.hexdigest().encode() + b"\n"); c.close()
threading.Thread(target=tcp_whoami, args=(7000,), daemon=True).start()
threading.Thread(target=sink_then_answer, args=(7002,), daemon=True).start()
threading.Thread(target=udp_whoami, args=(7001,), daemon=True).start()
print("guest ready", flush=True)
threading.Event().wait()
PY

launch_bg "ustack sandbox" ip netns exec "$NS" "$USTACK" sandbox --netns "$SB" \
  --cidr 198.18.5.0/24 --enable-ipv6 --ipv6-cidr fd00:5::/64 \
  --publish 8080:80 --publish 9000:7000 --publish "[$H6]:9000:7000" --publish 9001:7001/udp \
  --publish 127.0.0.1:9002:7000 --publish "$H:9003:7999" --publish "[$H6]:9001:7001/udp" \
  --publish 9004:7002 \
  --api-socket "$API" --enable-seccomp --max-flows 7 --udp-timeout 2 \
  --pcap "$WORK/sandbox.pcap"
grep "namespace" "$USTACK_LOG"
# Everything below runs under the relay's syscall allow-list: forwards added and removed at run
# time (bind, listen, accept4), the API socket, and its file removed at exit.
check "the sandbox runs under its seccomp filter" grep -q "seccomp filter installed" "$USTACK_LOG"
in_sb python3 -m http.server --directory "$WORK/www" 80 >"$WORK/http.log" 2>&1 &
PIDS+=($!)
in_sb python3 "$WORK/guest.py" >"$WORK/guest.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do
  grep -q "guest ready" "$WORK/guest.log" 2>/dev/null && [ "$(in_sb ss -Hltn | grep -c -E ':(80|7000) ')" -ge 2 ] && break
  sleep 0.1
done

check "the forwards listen on the host side" \
  bash -c "ip netns exec $NS ss -Hltn | grep -q '0.0.0.0:8080' &&
           ip netns exec $NS ss -Hltn | grep -q '\[$H6\]:9000' &&
           ip netns exec $NS ss -Hlun | grep -q '0.0.0.0:9001'"

# 1. curl from $C through 8080 -> 198.18.5.100:80: python's http.server logs the client's own
# address (slirp4netns would show 198.18.5.2 for every client).
want=$(sha256sum <"$WORK/www/blob" | cut -d' ' -f1)
in_ns timeout 30 curl -sS --interface "$C" -o "$WORK/got" "http://$H:8080/blob"
check "curl 4 MiB through the published port (SHA-256)" \
  test "$(sha256sum <"$WORK/got" 2>/dev/null | cut -d' ' -f1)" = "$want"
cat "$WORK/http.log"
check "the guest's http.server saw the client as $C (source address preserved)" \
  grep -q "^$C - - .*GET /blob" "$WORK/http.log"

# 1b. Into the sandbox: nc -N uploads 4 MiB and shuts down its side; the guest answers with the
# SHA-256 of what it read, after our EOF reached it (half-close relayed).
reply=$(in_ns timeout 30 nc -N "$H" 9004 <"$WORK/www/blob")
check "nc -N uploads 4 MiB through a published port; the guest saw EOF after every byte" \
  test "$reply" = "$want"

# 2. Address and port: the guest sees exactly the client's endpoint.
whoami() {  # whoami HOST PORT [SOURCE]: the line the guest answered and the client's endpoint
  in_ns timeout 10 python3 - "$@" <<'PY'
import socket, sys
host, port = sys.argv[1], int(sys.argv[2])
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
c = socket.socket(fam)
if len(sys.argv) > 3: c.bind((sys.argv[3], 0))
c.settimeout(5); c.connect((host, port))
me = c.getsockname()
got = b""
while (b := c.recv(100)): got += b
print(got.decode().strip(), "| client %s %d" % (me[0], me[1]))
PY
}
line=$(whoami "$H" 9000 "$C"); echo "  $line"
check "TCP: the guest sees the client's address and port" \
  bash -c '[[ "$1" =~ ^you\ are\ ([^ ]+)\ ([0-9]+)\ \|\ client\ ([^ ]+)\ ([0-9]+)$ ]] &&
           [ "${BASH_REMATCH[1]}" = "$2" ] && [ "${BASH_REMATCH[2]}" = "${BASH_REMATCH[4]}" ] &&
           [ "${BASH_REMATCH[3]}" = "$2" ]' _ "$line" "$C"
line=$(whoami "$H6" 9000); echo "  $line"
check "IPv6: [$H6]:9000 -> [fd00:5::100]:7000, the guest sees $H6 and the client's port" \
  bash -c '[[ "$1" =~ ^you\ are\ ([^ ]+)\ ([0-9]+)\ \|\ client\ ([^ ]+)\ ([0-9]+)$ ]] &&
           [ "${BASH_REMATCH[1]}" = "$2" ] && [ "${BASH_REMATCH[2]}" = "${BASH_REMATCH[4]}" ]' \
  _ "$line" "$H6"
line=$(whoami 127.0.0.1 9002); echo "  $line"
check "a loopback client is shown as the gateway 198.18.5.2 (the guest could not answer 127/8)" \
  bash -c '[[ "$1" == "you are 198.18.5.2 "* ]]' _ "$line"

# 3. A guest port nobody listens on: the guest's RST resets the host client's connection.
check "a closed guest port resets the host client (ECONNRESET)" \
  in_ns timeout 10 python3 - "$H" 9003 <<'PY'
import socket, sys
c = socket.create_connection((sys.argv[1], int(sys.argv[2]))); c.settimeout(5)
try:
    sys.exit("got %r, not a reset" % c.recv(100))
except ConnectionResetError:
    pass
PY

# 4. UDP: datagrams from $C reach the guest from $C's endpoint; replies come back to the client
# from the published port.
check "UDP: two datagrams through 9001/udp, the guest sees the client's endpoint, replies from $H:9001" \
  in_ns timeout 10 python3 - "$H" "$C" <<'PY'
import socket, sys
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind((sys.argv[2], 0)); u.settimeout(3)
me = u.getsockname()
for i in range(2):
    u.sendto(b"hello %d" % i, (sys.argv[1], 9001))
    d, peer = u.recvfrom(65535)
    print("  ", d, peer)
    assert d == b"hello %d you are %s %d" % (i, me[0].encode(), me[1]), (d, me)
    assert peer == (sys.argv[1], 9001), peer
PY

check "IPv6 UDP: [$H6]:9001/udp -> [fd00:5::100]:7001, the guest sees the client's endpoint" \
  in_ns timeout 10 python3 - "$H6" <<'PY'
import socket, sys
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); u.bind((sys.argv[1], 0)); u.settimeout(3)
me = u.getsockname()
u.sendto(b"hello6", (sys.argv[1], 9001))
d, peer = u.recvfrom(65535)
print("  ", d, peer[:2])
assert d == b"hello6 you are %s %d" % (me[0].encode(), me[1]), (d, me)
assert peer[:2] == (sys.argv[1], 9001), peer
PY

# 5. The API: slirp4netns's requests and replies (nc -U as in slirp4netns(1), and python).
api() {  # api JSON: the reply, as a client that shuts down its side after the request
  python3 - "$API" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(sys.argv[2].encode())
s.shutdown(socket.SHUT_WR); r = b""
while (b := s.recv(4096)): r += b
print(r.decode())
PY
}
reply=$(echo -n '{"execute": "add_hostfwd", "arguments": {"proto": "tcp", "host_addr": "0.0.0.0", "host_port": 8090, "guest_addr": "198.18.5.100", "guest_port": 7000}}' |
  timeout 5 nc -U "$API")
echo "  add_hostfwd: $reply"
check "add_hostfwd (nc -U) -> {\"return\":{\"id\":9}} (ids 1-8 are the --publish forwards)" \
  test "$reply" = '{"return":{"id":9}}'
line=$(whoami "$H" 8090 "$C"); echo "  $line"
check "the added forward works and preserves the source" \
  bash -c '[[ "$1" == "you are $2 "* ]]' _ "$line" "$C"
reply=$(api '{"execute": "list_hostfwd"}')
echo "  list_hostfwd: $reply"
check "list_hostfwd lists the 9 forwards with slirp4netns's fields, as its api.c: {\"entries\":[...]}" \
  python3 - "$reply" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
assert list(r) == ["entries"] and len(r["entries"]) == 9, r
e = r["entries"][8]
assert e == {"id": 9, "proto": "tcp", "host_addr": "0.0.0.0", "host_port": 8090,
             "guest_addr": "198.18.5.100", "guest_port": 7000}, e
assert r["entries"][3] == {"id": 4, "proto": "udp", "host_addr": "0.0.0.0", "host_port": 9001,
                           "guest_addr": "198.18.5.100", "guest_port": 7001}, r["entries"][3]
assert r["entries"][2]["host_addr"] == "fd00:9::1" and r["entries"][2]["guest_addr"] == "fd00:5::100"
PY
reply=$(api '{"execute": "remove_hostfwd", "arguments": {"id": 9}}')
check "remove_hostfwd -> {\"return\":{}}" test "$reply" = '{"return":{}}'
check "the removed forward's port is closed (connection refused)" \
  in_ns timeout 5 python3 -c "
import socket, sys
try:
    socket.create_connection(('$H', 8090), timeout=3); sys.exit('still open')
except ConnectionRefusedError:
    pass"
e1=$(api '{"execute": "remove_hostfwd", "arguments": {"id": 9}}')
e2=$(api '{"execute": "add_hostfwd", "arguments": {"proto": "tcp", "host_port": 8080, "guest_port": 80}}')
e3=$(api 'nope')
printf '  %s\n' "$e1" "$e2" "$e3"
check "API error: the removed id" \
  test "$e1" = '{"error":{"desc":"bad request: remove_hostfwd: bad arguments.id"}}'
check "API error: a host port taken" test "$e2" = \
  '{"error":{"desc":"bad request: add_hostfwd: slirp_add_hostfwd failed"}}'
check "... and why, in ustack's log" \
  grep -q "add_hostfwd: cannot listen on 0.0.0.0:8080/tcp: Address already in use" "$USTACK_LOG"
check "API error: not JSON" test "$e3" = '{"error":{"desc":"bad request: cannot parse JSON"}}'
check "the API socket is a UNIX socket at $API" test -S "$API"

# --max-flows 7 counts forwarded connections too: of 10 held open at once through 9004, 7 are
# relayed to the guest and 3 reset at once (counted below); once they are closed the budget
# is back and a new one goes through. (The UDP clients above hold a unit each until their
# --udp-timeout of 2 s: gone by now.)
sleep 2.5
check "--max-flows 7: 10 forwarded connections held open at once" \
  in_ns timeout 30 python3 -c "
import socket, time
socks = []
for _ in range(10):
    try:
        socks.append(socket.create_connection(('$H', 9004), timeout=10))
    except ConnectionResetError:  # reset at once, before a slow connect() returned
        pass
time.sleep(1.5)
for s in socks:
    s.close()"
for _ in $(seq 20); do  # the relayed flows end once the guest has answered and closed
  [ "$(dump_counters | counter TcpRelay flows)" = 0 ] && break
  sleep 0.5
done
check "... and the budget is given back: a new forwarded connection is relayed" \
  bash -c "printf x | ip netns exec $NS timeout 10 nc -N $H 9004 | grep -q ."

# --max-flows 7 counts a published UDP port's clients too, each from its first datagram until
# its --udp-timeout: of 10 clients of 9001 at once, 7 are answered, the 3 others' datagrams
# dropped (counted below); once the 7 have expired a new client is answered again.
sleep 1
n=$(udp_answered "$NS" "$H" 9001 10)
check "--max-flows 7: 7 of 10 UDP clients of a published port answered (got $n)" test "$n" = 7
sleep 2.5
n=$(udp_answered "$NS" "$H" 9001 1)
check "... and once they expired, a new UDP client is answered" test "$n" = 1

counters=$(dump_counters)
echo "$counters" | sed -n '/PortForwarder:/,/end of counters/p'
check "the forwarder counted preserved sources (at least 5)" \
  test "$(echo "$counters" | counter PortForwarder source_preserved)" -ge 5
check "... and a client shown as the gateway" \
  test "$(echo "$counters" | counter PortForwarder source_gateway)" -ge 1
check "... and 3 connections refused for --max-flows" \
  test "$(echo "$counters" | counter PortForwarder tcp_refused_max_flows)" = 3
check "... and 3 UDP clients' datagrams dropped for --max-flows" \
  test "$(echo "$counters" | counter PortForwarder udp_refused_max_flows)" = 3
stop_ustack TERM
check "ustack sandbox exits cleanly on SIGTERM" test "$USTACK_RC" = 0
check "the API socket file went with it" test ! -e "$API"
finish
