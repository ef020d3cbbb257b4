#!/bin/bash
# `ustack sandbox` (issue 13 item 1): a namespace whose network is ustack, reaching servers on
# "the host" through the relay. Real programs on both sides:
#
#   netns ustsbs<pid> (the sandbox)              netns ustns<pid> (plays the host)
#     tap0 198.18.5.100/24, default via .2  <->  ustack sandbox: 198.18.5.2 (gw), .3 (DNS)
#          fd00:5::100/64, default via ::2                        fd00:5::2, fd00:5::3
#     curl, nc, dig, python clients                host sockets -> servers on 198.18.9.1 and
#                                                   fd00:9::1 (lo):
#                                                   python http.server, python TCP/UDP servers,
#                                                   dnsmasq
#
# Checks: a 4 MiB download by curl (SHA-256), half-close both ways (nc -N upload answered after
# its EOF; a host that sends then shuts down and still reads), resets both ways, UDP echo with
# the far address as the reply's source, dig over UDP and TCP through the DNS forwarder to dnsmasq, a refused
# host port and the gateway's own ports refused fast ("Connection refused"); over IPv6 a
# download, UDP echo, DNS and a refusal.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

SB="ustsbs${ID}"
EXTRA_NS+=("$SB")
HOST_ADDR=198.18.9.1
HOST_ADDR6=fd00:9::1
in_sb() { ip netns exec "$SB" "$@"; }

require_root
ip netns add "$NS" || die "cannot create netns $NS"
ip netns add "$SB" || die "cannot create netns $SB"
in_ns ip link set lo up
in_ns ip addr add "$HOST_ADDR/32" dev lo
in_ns ip addr add "$HOST_ADDR6/128" dev lo nodad
in_sb sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0

# --- servers on the host side ---
mkdir -p "$WORK/www"
head -c $((4 * 1024 * 1024)) /dev/urandom >"$WORK/www/blob"
bg_ns python3 -m http.server --bind "$HOST_ADDR" --directory "$WORK/www" 8080 >/dev/null 2>&1
bg_ns python3 -m http.server --bind "$HOST_ADDR6" --directory "$WORK/www" 8080 >/dev/null 2>&1

cat >"$WORK/servers.py" <<'PY'
import hashlib, socket, sys, threading
addr = sys.argv[1]
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
def listener(port):
    s = socket.socket(fam); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port)); s.listen(8); return s
def sink_then_answer(s):  # reads to EOF, then answers with the SHA-256 of what came
    while True:
        c, _ = s.accept(); h = hashlib.sha256()
        while (b := c.recv(65536)): h.update(b)
        c.sendall(h.hexdigest().encode() + b"\n"); c.close()
def send_then_read(s):  # sends 1 MiB, shuts down its side, then reads what the client says
    data = bytes(range(256)) * 4096
    while True:
        c, _ = s.accept(); c.sendall(data); c.shutdown(socket.SHUT_WR)
        got = b""
        while (b := c.recv(65536)): got += b
        open(sys.argv[2], "wb").write(got); c.close()
def reset_after_hello(s):  # reads a line, then resets the connection (SO_LINGER 0)
    while True:
        c, _ = s.accept(); c.recv(100)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0"); c.close()
def note_how_it_ended(s):  # records whether the client's connection ended in EOF or a reset
    while True:
        c, _ = s.accept()
        try:
            while c.recv(65536): pass
            how = "eof"
        except ConnectionResetError:
            how = "reset"
        open(sys.argv[3], "w").write(how); c.close()
def udp_echo(port):
    u = socket.socket(fam, socket.SOCK_DGRAM); u.bind((addr, port))
    while True:
        d, peer = u.recvfrom(65535); u.sendto(d, peer)
threading.Thread(target=sink_then_answer, args=(listener(9001),), daemon=True).start()
threading.Thread(target=send_then_read, args=(listener(9002),), daemon=True).start()
threading.Thread(target=reset_after_hello, args=(listener(9003),), daemon=True).start()
threading.Thread(target=note_how_it_ended, args=(listener(9004),), daemon=True).start()
threading.Thread(target=udp_echo, args=(9005,), daemon=True).start()
print("servers ready", flush=True)
threading.Event().wait()
PY
bg_ns python3 "$WORK/servers.py" "$HOST_ADDR" "$WORK/client_said" "$WORK/ended" \
  >"$WORK/servers.log" 2>&1
bg_ns python3 "$WORK/servers.py" "$HOST_ADDR6" "$WORK/client_said6" "$WORK/ended6" \
  >"$WORK/servers6.log" 2>&1
bg_ns dnsmasq --no-daemon --no-resolv --no-hosts --port 53 --listen-address="$HOST_ADDR" \
  --bind-interfaces --host-record=sandbox.test,198.18.9.77 --pid-file="$WORK/dnsmasq.pid" \
  >"$WORK/dnsmasq.log" 2>&1

# --- ustack as the sandbox's network, running in the host namespace ---
launch_bg "ustack sandbox" ip netns exec "$NS" "$USTACK" sandbox --netns "$SB" \
  --cidr 198.18.5.0/24 --enable-ipv6 --ipv6-cidr fd00:5::/64 --dns-upstream "$HOST_ADDR" \
  --pcap "$WORK/sandbox.pcap"
for _ in $(seq 50); do
  grep -q "servers ready" "$WORK/servers.log" && grep -q "servers ready" "$WORK/servers6.log" &&
    [ "$(in_ns ss -Hltn | grep -c ":8080")" = 2 ] && break
  sleep 0.1
done

check "sandbox side configured (addresses, default routes via 198.18.5.2 and fd00:5::2)" \
  bash -c "ip netns exec $SB ip addr show dev tap0 | grep -q 198.18.5.100/24 &&
           ip netns exec $SB ip addr show dev tap0 | grep -q fd00:5::100/64 &&
           ip netns exec $SB ip route show default | grep -q 'via 198.18.5.2 dev tap0' &&
           ip netns exec $SB ip -6 route show default | grep -q 'via fd00:5::2 dev tap0'"

# 1. curl 4 MiB out of the sandbox, checked by SHA-256.
want=$(sha256sum <"$WORK/www/blob" | cut -d' ' -f1)
in_sb timeout 30 curl -sS -o "$WORK/got" "http://$HOST_ADDR:8080/blob"
check "curl 4 MiB from the host through the sandbox (SHA-256)" \
  test "$(sha256sum <"$WORK/got" 2>/dev/null | cut -d' ' -f1)" = "$want"

# 2a. Half-close guest -> host: nc -N sends the file, shuts down its side, and still gets the
# server's answer, which the server sends only after our EOF reached it.
reply=$(in_sb timeout 20 nc -N "$HOST_ADDR" 9001 <"$WORK/www/blob")
check "nc -N upload: the host saw EOF after every byte and answered after it" \
  test "$reply" = "$want"

# 2b. Half-close host -> guest: the host sends 1 MiB and shuts down; the guest reads to EOF and
# then still sends on the half-open connection.
in_sb timeout 20 python3 - "$HOST_ADDR" <<'PY'
import hashlib, socket, sys
c = socket.create_connection((sys.argv[1], 9002)); got = b""
while (b := c.recv(65536)): got += b
c.sendall(b"got %d bytes" % len(got)); c.shutdown(socket.SHUT_WR)
while c.recv(1): pass
PY
for _ in $(seq 30); do [ -s "$WORK/client_said" ] && break; sleep 0.1; done
check "host sent 1 MiB then EOF; the guest answered on the half-closed connection" \
  test "$(cat "$WORK/client_said" 2>/dev/null)" = "got 1048576 bytes"

# 2c. Resets map both ways: the host's RST reaches the guest as ECONNRESET, the guest's RST
# reaches the host's server as ECONNRESET.
check "the host resets: the guest's recv() gets ECONNRESET" \
  in_sb timeout 10 python3 - "$HOST_ADDR" <<'PY'
import socket, sys
c = socket.create_connection((sys.argv[1], 9003)); c.sendall(b"hello\n")
try:
    c.settimeout(5); c.recv(100); sys.exit("no reset")
except ConnectionResetError:
    pass
PY
in_sb timeout 10 python3 - "$HOST_ADDR" <<'PY'
import socket, sys, time
c = socket.create_connection((sys.argv[1], 9004)); c.sendall(b"x" * 1000); time.sleep(0.3)
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0"); c.close()
PY
for _ in $(seq 30); do [ -s "$WORK/ended" ] && break; sleep 0.1; done
check "the guest resets: the host's server gets ECONNRESET" \
  test "$(cat "$WORK/ended" 2>/dev/null)" = reset

# 3. UDP echo: answers come back from the address and port the guest sent to.
check "UDP echo through the relay (3 datagrams, replies from $HOST_ADDR:9005)" \
  in_sb timeout 10 python3 - "$HOST_ADDR" <<'PY'
import socket, sys
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(3)
for i in range(3):
    msg = b"ping %d " % i + b"x" * (100 * i)
    u.sendto(msg, (sys.argv[1], 9005))
    d, peer = u.recvfrom(65535)
    assert d == msg and peer == (sys.argv[1], 9005), (d, peer)
PY

# 4. DNS to 198.18.5.3 is forwarded to the host's resolver (dnsmasq here), over UDP and TCP.
check "dig @198.18.5.3 over UDP reaches dnsmasq" \
  test "$(in_sb timeout 10 dig +short +tries=2 +time=2 @198.18.5.3 sandbox.test)" = 198.18.9.77
check "dig +tcp @198.18.5.3 reaches dnsmasq" \
  test "$(in_sb timeout 10 dig +tcp +short +tries=2 +time=2 @198.18.5.3 sandbox.test)" = 198.18.9.77

# 4b. IPv6: the same relay for the namespace's fd00:5::100 (download, UDP echo, refusal).
in_sb timeout 30 curl -sS -g -o "$WORK/got6" "http://[$HOST_ADDR6]:8080/blob"
check "IPv6: curl 4 MiB from [$HOST_ADDR6] (SHA-256)" \
  test "$(sha256sum <"$WORK/got6" 2>/dev/null | cut -d' ' -f1)" = "$want"
check "IPv6: UDP echo, replies from [$HOST_ADDR6]:9005" \
  in_sb timeout 10 python3 - "$HOST_ADDR6" <<'PY'
import socket, sys
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); u.settimeout(3)
u.sendto(b"ping6", (sys.argv[1], 9005))
d, peer = u.recvfrom(65535)
assert d == b"ping6" and peer[:2] == (sys.argv[1], 9005), (d, peer)
PY
check "IPv6: dig @fd00:5::3 reaches dnsmasq" \
  test "$(in_sb timeout 10 dig +short +tries=2 +time=2 @fd00:5::3 sandbox.test)" = 198.18.9.77

# 5. A refused host port is refused in the sandbox too (RST to the SYN), at once.
# curl exits 7 (could not connect, not 28: timed out) and its verbose log names the errno
# connect() got: "connect to ADDR port N failed: Connection refused" (ECONNREFUSED, the RST).
refused() {  # refused URL
  local err
  err=$(in_sb timeout 5 curl -sS -v --max-time 3 "$1" 2>&1 >/dev/null)
  local rc=$?
  echo "$err" | grep -E "failed|curl: \(" >&2
  [ $rc -eq 7 ] && grep -q "failed: Connection refused" <<<"$err"
}
check "a closed host port: curl says 'Connection refused' at once" refused "http://$HOST_ADDR:9999/"
check "the gateway's own ports are closed: 'Connection refused'" refused "http://198.18.5.2:22/"
check "IPv6: a closed host port: 'Connection refused'" refused "http://[$HOST_ADDR6]:9999/"

counters=$(dump_counters)
echo "$counters" | sed -n '/TcpRelay:/,/end of counters/p'
check "the relay counted the refusals" \
  test "$(echo "$counters" | counter TcpRelay refused_host)" -ge 1
stop_ustack TERM
check "ustack sandbox exits cleanly on SIGTERM" test "$USTACK_RC" = 0
check "the TAP device went with it" bash -c "! ip netns exec $SB ip link show tap0 2>/dev/null"
finish
