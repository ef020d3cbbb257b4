#!/bin/bash
# `ustack sandbox` (issue 13 items 1 and 3): a namespace whose network is ustack, reaching
# servers beyond "the host" through the relay. Real programs on every side:
#
#   netns ustsbs<pid> (the sandbox)          netns ustns<pid> (the host)      netns ustsrv<pid>
#     tap0 198.18.5.100/24, via .2  <->  ustack sandbox: .2 (gw), .3 (DNS)
#          fd00:5::100/64, via ::2       host sockets; veth 198.18.9.2/24 <-> veth 198.18.9.1/24
#     curl, nc, dig, ping, python        fd00:9::2/64; its own servers on     fd00:9::1/64
#                                        127.0.0.1 and 198.18.9.2 (the        http.server, TCP/UDP
#                                        host itself: refused by default)     servers, dnsmasq
#
# Checks: DNS upstream from a --resolv-conf test file; a 4 MiB download by curl (SHA-256), half-close both ways (nc -N upload answered after
# its EOF; a host that sends then shuts down and still reads), resets both ways, UDP echo with
# the far address as the reply's source, dig over UDP and TCP through the DNS forwarder to dnsmasq, a refused
# host port and the gateway's own ports refused fast ("Connection refused"); over IPv6 a
# download, UDP echo, DNS and a refusal. Errors both ways: unreachable hosts and networks reach
# the guest as ICMP ("No route to host", "Network is unreachable"), a refused UDP port as
# ECONNREFUSED; ping through unprivileged ICMP sockets; the host itself refused by default and
# reachable with --allow-host-loopback; a connection flood above --max-flows bounded and
# counted; the relay surviving resets and refusals; --enable-seccomp running curl, dig, ping.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

SB="ustsbs${ID}"
SRV="ustsrv${ID}"
EXTRA_NS+=("$SB" "$SRV")
HOST_ADDR=198.18.9.1 # the far server (SRV)
HOST_ADDR6=fd00:9::1
SELF_ADDR=198.18.9.2 # the host's own address on the veth
in_sb() { ip netns exec "$SB" "$@"; }
in_srv() { ip netns exec "$SRV" "$@"; }
bg_srv() {
  ip netns exec "$SRV" "$@" &
  BG_PID=$!
  PIDS+=("$BG_PID")
}

require_root
ip netns add "$NS" || die "cannot create netns $NS"
ip netns add "$SB" || die "cannot create netns $SB"
ip netns add "$SRV" || die "cannot create netns $SRV"
for n in "$NS" "$SB" "$SRV"; do
  ip netns exec "$n" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
  ip netns exec "$n" ip link set lo up
done
ip link add "ush${ID}" netns "$NS" type veth peer name "uss${ID}" netns "$SRV" ||
  die "cannot create the veth pair"
in_ns ip addr add "$SELF_ADDR/24" dev "ush${ID}"
in_ns ip addr add fd00:9::2/64 dev "ush${ID}" nodad
in_ns ip link set "ush${ID}" up
in_srv ip addr add "$HOST_ADDR/24" dev "uss${ID}"
in_srv ip addr add "$HOST_ADDR6/64" dev "uss${ID}" nodad
in_srv ip link set "uss${ID}" up
# Ping through unprivileged ICMP sockets needs the host's groups in ping_group_range.
in_ns sysctl -qw net.ipv4.ping_group_range="0 2147483647"

# --- servers on the host side ---
mkdir -p "$WORK/www"
head -c $((4 * 1024 * 1024)) /dev/urandom >"$WORK/www/blob"
bg_srv python3 -m http.server --bind "$HOST_ADDR" --directory "$WORK/www" 8080 >/dev/null 2>&1
bg_srv python3 -m http.server --bind "$HOST_ADDR6" --directory "$WORK/www" 8080 >/dev/null 2>&1

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
def hold_open(s):  # keeps every connection open until the client's EOF (a flood's target)
    def until_eof(c):
        while c.recv(65536): pass
        c.close()
    while True:
        c, _ = s.accept()
        threading.Thread(target=until_eof, args=(c,), daemon=True).start()
def udp_echo(port):
    u = socket.socket(fam, socket.SOCK_DGRAM); u.bind((addr, port))
    while True:
        d, peer = u.recvfrom(65535); u.sendto(d, peer)
threading.Thread(target=sink_then_answer, args=(listener(9001),), daemon=True).start()
threading.Thread(target=send_then_read, args=(listener(9002),), daemon=True).start()
threading.Thread(target=reset_after_hello, args=(listener(9003),), daemon=True).start()
threading.Thread(target=note_how_it_ended, args=(listener(9004),), daemon=True).start()
threading.Thread(target=udp_echo, args=(9005,), daemon=True).start()
big = listener(9006); big.listen(256)
threading.Thread(target=hold_open, args=(big,), daemon=True).start()
print("servers ready", flush=True)
threading.Event().wait()
PY
bg_srv python3 "$WORK/servers.py" "$HOST_ADDR" "$WORK/client_said" "$WORK/ended" \
  >"$WORK/servers.log" 2>&1
bg_srv python3 "$WORK/servers.py" "$HOST_ADDR6" "$WORK/client_said6" "$WORK/ended6" \
  >"$WORK/servers6.log" 2>&1
# The host's own services: on its loopback and on its own address (refused by default).
cat >"$WORK/hello.py" <<'PY'
import socket, sys, threading
def serve(addr):
    s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((addr, 9100)); s.listen(8)
    while True:
        c, _ = s.accept(); c.sendall(b"host " + addr.encode() + b"\n"); c.close()
for a in sys.argv[1:]:
    threading.Thread(target=serve, args=(a,), daemon=True).start()
print("hello ready", flush=True)
threading.Event().wait()
PY
bg_ns python3 "$WORK/hello.py" 127.0.0.1 ::1 "$SELF_ADDR" >"$WORK/hello.log" 2>&1
bg_srv dnsmasq --no-daemon --no-resolv --no-hosts --port 53 --listen-address="$HOST_ADDR" \
  --bind-interfaces --host-record=sandbox.test,198.18.9.77 --pid-file="$WORK/dnsmasq.pid" \
  >"$WORK/dnsmasq.log" 2>&1

# --- ustack as the sandbox's network, running in the host namespace ---
# No --dns-upstream: the first usable nameserver of the resolv.conf given (never the machine's).
printf '# test resolv.conf\nsearch example.test\nnameserver %s\nnameserver 198.18.9.250\n' \
  "$HOST_ADDR" >"$WORK/resolv.conf"
SANDBOX=("$USTACK" sandbox --netns "$SB" --cidr 198.18.5.0/24 --enable-ipv6
  --ipv6-cidr fd00:5::/64 --resolv-conf "$WORK/resolv.conf")
launch_bg "ustack sandbox" ip netns exec "$NS" "${SANDBOX[@]}" --pcap "$WORK/sandbox.pcap"
for _ in $(seq 50); do
  grep -q "servers ready" "$WORK/servers.log" && grep -q "servers ready" "$WORK/servers6.log" &&
    grep -q "hello ready" "$WORK/hello.log" &&
    [ "$(in_srv ss -Hltn | grep -c ":8080")" = 2 ] && break
  sleep 0.1
done
check "the DNS upstream is the resolv.conf's first nameserver" \
  grep -q "dns forwarded to $HOST_ADDR:53" "$USTACK_LOG"

check "sandbox side configured (addresses, default routes via 198.18.5.2 and fd00:5::2)" \
  bash -c "ip netns exec $SB ip addr show dev tap0 | grep -q 198.18.5.100/24 &&
           ip netns exec $SB ip addr show dev tap0 | grep -q fd00:5::100/64 &&
           ip netns exec $SB ip route show default | grep -q 'via 198.18.5.2 dev tap0' &&
           ip netns exec $SB ip -6 route show default | grep -q 'via fd00:5::2 dev tap0'"
# The TAP ustack created queues 4096 packets toward it (the kernel's 500 drops several streams).
check "the TAP's txqueuelen is 4096" \
  bash -c "ip netns exec $SB ip link show dev tap0 | grep -q 'qlen 4096'"

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

# 4. DNS to 198.18.5.3 is forwarded to the resolv.conf's resolver (dnsmasq here), UDP and TCP.
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

# 6. Host connects failing otherwise answer the SYN with ICMP, as a Linux router would: a
# network the host has no route to (ENETUNREACH), an address on its link nobody answers ARP /
# NDP for (EHOSTUNREACH after the neighbour probes).
nc_says() {  # nc_says WANTED ADDR PORT: nc's error names WANTED
  local err
  err=$(in_sb timeout 15 nc -v -w 10 "$2" "$3" </dev/null 2>&1)
  echo "nc $2 $3: $err" >&2
  grep -q "$1" <<<"$err"
}
check "no route on the host: nc says 'Network is unreachable'" \
  nc_says "Network is unreachable" 198.18.77.1 80
check "nobody at the address: nc says 'No route to host'" nc_says "No route to host" 198.18.9.99 80
check "IPv6: no route on the host: 'Network is unreachable'" \
  nc_says "Network is unreachable" fd00:77::1 80
check "IPv6: nobody at the address: 'No route to host'" nc_says "No route to host" fd00:9::99 80

# 7. A refused UDP port: the host socket's ECONNREFUSED comes back as ICMP port unreachable.
check "UDP to a closed host port: the guest's recv() gets ECONNREFUSED" \
  in_sb timeout 10 python3 - "$HOST_ADDR" <<'PY'
import socket, sys, time
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(3)
u.connect((sys.argv[1], 9999))
for _ in range(3):  # the first send opens the flow; the refusal comes with its answer
    try:
        u.send(b"anyone?"); u.recv(100)
    except ConnectionRefusedError:
        sys.exit(0)
    except socket.timeout:
        pass
sys.exit("no ECONNREFUSED")
PY

# 8. Ping through the host's unprivileged ICMP sockets, IPv4 and IPv6.
check "ping from the sandbox: 3 of 3 replies" \
  bash -c "ip netns exec $SB ping -c 3 -i 0.2 -W 2 $HOST_ADDR | grep -q ' 0% packet loss'"
check "ping -6 from the sandbox: 3 of 3 replies" \
  bash -c "ip netns exec $SB ping -6 -c 3 -i 0.2 -W 2 $HOST_ADDR6 | grep -q ' 0% packet loss'"
check "ping with 1400 bytes of data" \
  bash -c "ip netns exec $SB ping -c 2 -i 0.2 -W 2 -s 1400 $HOST_ADDR | grep -q ' 0% packet loss'"

# 9. The host itself is refused as a closed port is: its loopback through the gateway address
# (slirp4netns's 10.0.2.2) and its own address.
check "the host's loopback via the gateway: 'Connection refused'" refused "http://198.18.5.2:9100/"
check "the host's own address: 'Connection refused'" refused "http://$SELF_ADDR:9100/"
check "IPv6: the host's loopback via the gateway: 'Connection refused'" \
  refused "http://[fd00:5::2]:9100/"
check "ping to the host's own address gets no reply" \
  bash -c "! ip netns exec $SB ping -c 1 -W 1 $SELF_ADDR >/dev/null"

# 9b. An address the host gains after ustack started is the host's own too (the relay re-reads
# them when netlink announces a change): with a service on it, it is refused all the same.
in_ns ip addr add 198.18.9.4/32 dev lo
in_ns ip addr add fd00:9::4/128 dev lo nodad
bg_ns python3 "$WORK/hello.py" 198.18.9.4 fd00:9::4 >"$WORK/hello2.log" 2>&1
for _ in $(seq 50); do grep -q "hello ready" "$WORK/hello2.log" && break; sleep 0.1; done
check "an address the host gained after the start: 'Connection refused'" \
  refused "http://198.18.9.4:9100/"
check "IPv6: an address the host gained after the start: 'Connection refused'" \
  refused "http://[fd00:9::4]:9100/"
check "... the relay re-read the host's addresses on netlink's word" \
  test "$(dump_counters | counter HostAddresses refreshes)" -ge 1

# 10. The relay survived the resets and refusals above: a fresh download still works.
in_sb timeout 30 curl -sS -o "$WORK/got_again" "http://$HOST_ADDR:8080/blob"
check "after resets and refusals the relay still carries a download (SHA-256)" \
  test "$(sha256sum <"$WORK/got_again" 2>/dev/null | cut -d' ' -f1)" = "$want"

counters=$(dump_counters)
echo "$counters" | sed -n '/TcpRelay:/,/end of counters/p'
check "ACKs toward the guest not coalesced by default: every segment answered at once" \
  test "$(echo "$counters" | counter Tcp output_deferred)" = 0
check "the relay counted the refusals" \
  test "$(echo "$counters" | counter TcpRelay refused_host)" -ge 1
check "the relay counted the unreachables (4 SYNs answered with ICMP)" \
  test "$(echo "$counters" | counter TcpRelay unreachable)" -ge 4
check "the relay counted the host-itself refusals" \
  test "$(echo "$counters" | counter TcpRelay refused_host_loopback)" -ge 3
check "UDP: the refused port went back as ICMP" \
  test "$(echo "$counters" | counter UdpRelay icmp_to_guest)" -ge 1
check "ping: replies relayed" test "$(echo "$counters" | counter IcmpRelay replies)" -ge 8
stop_ustack TERM
check "ustack sandbox exits cleanly on SIGTERM" test "$USTACK_RC" = 0
check "the TAP device went with it" bash -c "! ip netns exec $SB ip link show tap0 2>/dev/null"

# dropped PID: the relay process's credentials say it dropped its privileges: uid and gid
# 65534, no capability in any set, no_new_privs.
dropped() {
  local st="/proc/$1/status"
  grep -E "^(Uid|Gid|Groups|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp|Threads):" "$st" >&2
  grep -Eq "^Uid:[[:space:]]+65534[[:space:]]+65534[[:space:]]+65534[[:space:]]+65534$" "$st" &&
    grep -Eq "^Gid:[[:space:]]+65534[[:space:]]+65534[[:space:]]+65534[[:space:]]+65534$" "$st" &&
    [ "$(grep -Ec "^Cap(Prm|Eff|Bnd|Amb):[[:space:]]+0+$" "$st")" = 4 ] &&
    grep -Eq "^NoNewPrivs:[[:space:]]+1$" "$st"
}

# --- a second run: --allow-host-loopback, --max-flows 20, --disable-dns; no ICMP sockets;
# privileges dropped (--user nobody) ---
in_ns sysctl -qw net.ipv4.ping_group_range="1 0"
launch_bg "ustack sandbox" ip netns exec "$NS" "${SANDBOX[@]}" --allow-host-loopback \
  --max-flows 20 --disable-dns --udp-timeout 2 --user nobody --ack-coalescing
check "--user nobody: uid and gid 65534, no capabilities, no_new_privs" \
  dropped "$USTACK_PID"
hello() {  # hello URL-HOST WANTED: the host's hello server answers through the sandbox
  local got
  got=$(in_sb timeout 5 nc -w 3 "$1" 9100 </dev/null 2>&1)
  echo "nc $1 9100: $got" >&2
  test "$got" = "$2"
}
check "--allow-host-loopback: the gateway address reaches the host's 127.0.0.1" \
  hello 198.18.5.2 "host 127.0.0.1"
check "--allow-host-loopback: IPv6 gateway address reaches the host's ::1" \
  hello fd00:5::2 "host ::1"
check "--allow-host-loopback: the host's own address is reachable" hello "$SELF_ADDR" \
  "host $SELF_ADDR"
check "the host allows no ICMP sockets: ping gets no reply" \
  bash -c "! ip netns exec $SB ping -c 1 -W 1 $HOST_ADDR >/dev/null"
check "... and the relay counted it" \
  test "$(dump_counters | counter IcmpRelay no_icmp_sockets)" -ge 1
in_ns sysctl -qw net.ipv4.ping_group_range="0 2147483647"
check "--disable-dns: DNS to .3 gets no answer" \
  bash -c "! ip netns exec $SB dig +short +tries=1 +time=1 @198.18.5.3 sandbox.test |
           grep -q 198.18.9.77"

# A flood of 60 connections held open: at most 20 flows exist, the rest are refused at once.
in_sb timeout 30 python3 - "$HOST_ADDR" >"$WORK/flood" 2>&1 <<'PY'
import socket, sys
held, refused = [], 0
for i in range(60):
    try:
        held.append(socket.create_connection((sys.argv[1], 9006), timeout=5))
    except ConnectionRefusedError:
        refused += 1
print(len(held), refused, flush=True)
for c in held: c.close()
PY
cat "$WORK/flood" >&2
read -r opened refused_n <"$WORK/flood"
echo "flood: $opened connected, $refused_n refused" >&2
check "--max-flows 20: a flood of 60 gets at most 20 connections" \
  test "${opened:-99}" -le 20 -a "${refused_n:-0}" -ge 40
counters=$(dump_counters)
check "--max-flows: the refusals were counted" \
  test "$(echo "$counters" | counter TcpRelay refused_max_flows)" -ge 40
sleep 1
in_sb timeout 30 curl -sS -o "$WORK/got_after" "http://$HOST_ADDR:8080/blob"
check "after the flood ended, flows are taken again (curl, SHA-256)" \
  test "$(sha256sum <"$WORK/got_after" 2>/dev/null | cut -d' ' -f1)" = "$want"
check "--ack-coalescing: output deferred to the end of the TAP read batch" \
  test "$(dump_counters | counter Tcp output_deferred)" -ge 1
# UDP flows count too, each from its first datagram until --udp-timeout (2 s here): of 30
# sockets writing to the echo server at once, at most 20 are answered; the others' datagrams
# are dropped and counted; once the flows expired a new one is answered.
n=$(udp_answered "$SB" "$HOST_ADDR" 9005 30)
check "--max-flows 20: of 30 UDP flows at once, 1..20 answered (got $n)" \
  test "${n:-0}" -ge 1 -a "${n:-99}" -le 20
check "... the others' datagrams dropped and counted" \
  test "$(dump_counters | counter UdpRelay refused_max_flows)" -ge 10
sleep 2.5
n=$(udp_answered "$SB" "$HOST_ADDR" 9005 1)
check "... and once the flows expired, a new UDP flow is answered" test "$n" = 1
stop_ustack TERM
check "second run exits cleanly" test "$USTACK_RC" = 0

# --busy-poll's bounds: a usage error (exit 2) before anything is set up.
"$USTACK" sandbox --netns "$SB" --busy-poll 100001 >"$WORK/busy_usage" 2>&1
busy_rc=$?
check "--busy-poll 100001: a usage error (exit 2, the range named)" \
  bash -c "[ $busy_rc = 2 ] && grep -q 'busy-poll 100001 out of range (0..100000' $WORK/busy_usage"

# --- a third run under the seccomp filter, privileges dropped and the root an empty tmpfs
# (slirp4netns's --enable-sandbox), busy polling on: curl, nc, dig, ping, UDP must all still
# work ---
launch_bg "ustack sandbox" ip netns exec "$NS" "${SANDBOX[@]}" --enable-seccomp \
  --user 65534:65534 --enable-sandbox --busy-poll 10000
check "--enable-seccomp: the filter is installed" grep -q "seccomp filter installed" "$USTACK_LOG"
check "--user 65534:65534 under seccomp: uid and gid 65534, no capabilities, no_new_privs" \
  dropped "$USTACK_PID"
check "--enable-sandbox: a mount namespace of its own whose root holds only etc and run" \
  bash -c "[ \"\$(readlink /proc/$USTACK_PID/ns/mnt)\" != \"\$(readlink /proc/self/ns/mnt)\" ] &&
           [ \"\$(ls /proc/$USTACK_PID/root/ | tr '\n' ' ')\" = 'etc run ' ]"
check "--enable-seccomp: the kernel says the process is filtered (Seccomp: 2)" \
  grep -Eq "^Seccomp:[[:space:]]+2" "/proc/$USTACK_PID/status"
in_sb timeout 30 curl -sS -o "$WORK/got_seccomp" "http://$HOST_ADDR:8080/blob"
check "--enable-seccomp: curl 4 MiB (SHA-256)" \
  test "$(sha256sum <"$WORK/got_seccomp" 2>/dev/null | cut -d' ' -f1)" = "$want"
reply=$(in_sb timeout 20 nc -N "$HOST_ADDR" 9001 <"$WORK/www/blob")
check "--busy-poll 10000: nc -N upload answered after EOF, byte-exact (SHA-256)" \
  test "$reply" = "$want"
check "--busy-poll 10000: the runtime found work while polling without sleeping" \
  test "$(dump_counters | counter Runtime busy_poll_hits)" -ge 1
check "--enable-seccomp: dig through the forwarder" \
  test "$(in_sb timeout 10 dig +short +tries=2 +time=2 @198.18.5.3 sandbox.test)" = 198.18.9.77
check "--enable-seccomp: ping" \
  bash -c "ip netns exec $SB ping -c 2 -i 0.2 -W 2 $HOST_ADDR | grep -q ' 0% packet loss'"
check "--enable-seccomp: a refused port" refused "http://$HOST_ADDR:9999/"
# The host's addresses re-read under the filter (getifaddrs' netlink dump) and as nobody.
in_ns ip addr add 198.18.9.5/32 dev lo
for _ in $(seq 20); do
  [ "$(dump_counters | counter HostAddresses refreshes)" -ge 1 ] && break
  sleep 0.1
done
check "--enable-seccomp: the host's addresses re-read under the filter" \
  test "$(dump_counters | counter HostAddresses refreshes)" -ge 1
counters=$(dump_counters)
check "--enable-seccomp: counters on SIGUSR1" \
  test "$(echo "$counters" | counter IcmpRelay replies)" -ge 2
check "--enable-seccomp: still running after all that" kill -0 "$USTACK_PID"
# A SYN still held (its host connect waits for ARP) when ustack stops gets a RST, not silence.
in_sb timeout 10 nc -v -w 8 198.18.9.98 80 </dev/null >"$WORK/held_at_exit" 2>&1 &
held_nc=$!
sleep 0.5
stop_ustack TERM
wait "$held_nc"
cat "$WORK/held_at_exit" >&2
check "a connect still held when ustack stops is refused ('Connection refused')" \
  grep -q "Connection refused" "$WORK/held_at_exit"
check "--enable-seccomp: exits cleanly on SIGTERM" test "$USTACK_RC" = 0

# --- a fourth run with --drop-capabilities alone: still root, but every capability set empty
# (bounding and ambient too, so nothing can regain one) and no_new_privs; traffic still flows ---
launch_bg "ustack sandbox" ip netns exec "$NS" "${SANDBOX[@]}" --drop-capabilities
check "--drop-capabilities: says so" \
  grep -q "privileges dropped (uid 0 gid 0, capabilities: none)" "$USTACK_LOG"
st="/proc/$USTACK_PID/status"
grep -E "^(Uid|Gid|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):" "$st" >&2
check "--drop-capabilities: uid 0 kept; CapPrm, CapEff, CapBnd, CapAmb all 0; no_new_privs" \
  bash -c "grep -Eq '^Uid:[[:space:]]+0[[:space:]]+0[[:space:]]+0[[:space:]]+0\$' $st &&
           [ \"\$(grep -Ec '^Cap(Prm|Eff|Bnd|Amb):[[:space:]]+0+\$' $st)\" = 4 ] &&
           grep -Eq '^NoNewPrivs:[[:space:]]+1\$' $st"
in_sb timeout 30 curl -sS -o "$WORK/got_nocaps" "http://$HOST_ADDR:8080/blob"
check "--drop-capabilities: curl 4 MiB (SHA-256)" \
  test "$(sha256sum <"$WORK/got_nocaps" 2>/dev/null | cut -d' ' -f1)" = "$want"
check "--drop-capabilities: nc -N upload answered" \
  test "$(in_sb timeout 20 nc -N "$HOST_ADDR" 9001 <"$WORK/www/blob")" = "$want"
check "--drop-capabilities: a UDP flow answered" test "$(udp_answered "$SB" "$HOST_ADDR" 9005 1)" = 1
check "--drop-capabilities: still running" kill -0 "$USTACK_PID"
stop_ustack TERM
check "--drop-capabilities: exits cleanly on SIGTERM" test "$USTACK_RC" = 0
finish
