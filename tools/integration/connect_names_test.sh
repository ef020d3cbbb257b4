#!/bin/bash
# Host names everywhere a user types an address, looked up by ustack's own resolver: from a
# --hosts file, and from dnsmasq, a real DNS server this test runs in the namespace.
#   -s NAME           the source address (looked up for the destination's family: with -6 the
#                     name's AAAA although it has an A too), as the kernel's server sees it
#   -l NAME PORT      the address to listen on (the kernel's client connects to it)
#   -u NAME           UDP to a name, from -s NAME; `udp send NAME`
#   failures          a name that does not exist (-s, -l), an address of the wrong family: one
#                     line, exit 1, nothing sent
# The device's own addresses stay numeric (--addr/--peer/--gw/--nameserver): cli_errors_test.
source "$(dirname "$0")/lib.sh"
setup_ns

# --- names: a hosts(5) file, and dnsmasq answering for dns.test on the kernel's address ---
cat >"$WORK/hosts" <<HOSTS
198.18.1.2  me.test
fd00:2::2   me.test
198.18.1.1  kernel.test
HOSTS
{
  echo "local=/dns.test/"  # only the records below; NXDOMAIN for the rest
  echo "host-record=me.dns.test,198.18.1.2,fd00:2::2,300"
  echo "host-record=kernel.dns.test,198.18.1.1,fd00:2::1,300"
} >"$WORK/dnsmasq.conf"
bg_ns dnsmasq --no-daemon --no-resolv --no-hosts --bind-interfaces --port 53 \
  --listen-address=198.18.1.1 --conf-file="$WORK/dnsmasq.conf" \
  --pid-file="$WORK/dnsmasq.pid" --user=root --log-queries --log-facility=- \
  >"$WORK/dnsmasq.log" 2>&1
DNSMASQ_PID=$BG_PID
for _ in $(seq 50); do
  in_ns ss -Hlun "sport = :53" | grep -q 198.18.1.1 && break
  kill -0 "$DNSMASQ_PID" 2>/dev/null || die "dnsmasq exited: $(cat "$WORK/dnsmasq.log")"
  sleep 0.1
done
in_ns dig +short @198.18.1.1 me.dns.test | grep -qx 198.18.1.2 || die "dnsmasq does not answer dig"
HOSTS_OPTS=(--hosts "$WORK/hosts")
DNS_OPTS=(--nameserver 198.18.1.1)

# A kernel TCP server on every address that notes each peer, and a UDP one that notes each
# datagram's source and text.
start_peer_logger 7000 "$WORK/peers"
bg_ns /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", 7300))
while True:
    data, peer = s.recvfrom(2048)
    with open(sys.argv[1], "a") as f:
        print(peer[0].removeprefix("::ffff:"), peer[1], data.decode().strip(), file=f, flush=True)
' "$WORK/datagrams"
wait_udp 7300

# -s NAME from the hosts file, to a name from the hosts file.
"${CONNECT[@]}" "${HOSTS_OPTS[@]}" -z -s me.test -p 40201 kernel.test 7000 </dev/null 2>"$WORK/s1_err"
RC=$?
check "-s NAME (--hosts): exit 0 ($RC): $(cat "$WORK/s1_err")" test "$RC" = 0
check "-s NAME (--hosts): the kernel saw 198.18.1.2 port 40201" grep -qx "198.18.1.2 40201" "$WORK/peers"

# -6 -s NAME through DNS: the destination's AAAA, and the source's AAAA although the name has
# an A too (the source is looked up for the destination's family).
"${CONNECT[@]}" "${DNS_OPTS[@]}" -6 -z -s me.dns.test -p 40202 kernel.dns.test 7000 </dev/null \
  2>"$WORK/s2_err"
RC=$?
check "-6 -s NAME (DNS): exit 0 ($RC): $(cat "$WORK/s2_err")" test "$RC" = 0
check "-6 -s NAME (DNS): the kernel saw fd00:2::2 port 40202" grep -qx "fd00:2::2 40202" "$WORK/peers"
check "dnsmasq was asked for me.dns.test" grep -q "query\[AAAA\] me.dns.test" "$WORK/dnsmasq.log"

# -l NAME PORT: listens on the name's address; the kernel's client connects to it.
"${CONNECT[@]}" "${HOSTS_OPTS[@]}" -6 -v -l me.test 7101 </dev/null >"$WORK/l_out" 2>"$WORK/l_err" &
LPID=$!
PIDS+=("$LPID")
for _ in $(seq 100); do grep -q "listening on port 7101" "$WORK/l_err" && break; sleep 0.1; done
in_ns timeout 10 /usr/bin/python3 -c '
import socket
c = socket.create_connection(("fd00:2::2", 7101))
c.sendall(b"to a name\n")
c.shutdown(socket.SHUT_WR)
while c.recv(4096):
    pass
'
wait "$LPID"
RC=$?
sed 's/^/    /' "$WORK/l_err"
check "-l NAME PORT: exit 0 ($RC)" test "$RC" = 0
check "-l NAME PORT: the kernel's line arrived" grep -qx "to a name" "$WORK/l_out"
check "-l NAME PORT: the connection came from the kernel's IPv6 address" \
  grep -q "connection from \[fd00:2::1\]:" "$WORK/l_err"

# -u with names (DNS), from -s NAME; and `udp send NAME` (hosts file).
echo "connect -u" | "${CONNECT[@]}" "${DNS_OPTS[@]}" -u -q 0 -s me.dns.test -p 40203 \
  kernel.dns.test 7300 >/dev/null 2>"$WORK/u1_err"
RC=$?
check "-u -s NAME NAME: exit 0 ($RC): $(cat "$WORK/u1_err")" test "$RC" = 0
"$USTACK" udp send --tun "$CN_DEV" --netns "$NS" --no-create --addr 198.18.1.2/24 \
  "${HOSTS_OPTS[@]}" -p 40204 -w 0 kernel.test 7300 <<<"udp send" 2>"$WORK/u2_err"
RC=$?
check "udp send NAME: exit 0 ($RC): $(cat "$WORK/u2_err")" test "$RC" = 0
for _ in $(seq 30); do [ "$(wc -l <"$WORK/datagrams" 2>/dev/null)" -ge 2 ] && break; sleep 0.1; done
check "-u: the kernel got 'connect -u' from 198.18.1.2:40203" \
  grep -qx "198.18.1.2 40203 connect -u" "$WORK/datagrams"
check "udp send: the kernel got 'udp send' from 198.18.1.2:40204" \
  grep -qx "198.18.1.2 40204 udp send" "$WORK/datagrams"

# Failures: one line naming the flag and the name, exit 1.
"${CONNECT[@]}" "${DNS_OPTS[@]}" -z -s nx.dns.test kernel.dns.test 7000 </dev/null 2>"$WORK/f1_err"
RC=$?
check "-s NXDOMAIN: exit 1 ($RC)" test "$RC" = 1
check "-s NXDOMAIN: the line" grep -qx \
  "ustack connect: -s nx.dns.test: EAI_NONAME (-2): Name or service not known (NXDOMAIN from 198.18.1.1)" \
  "$WORK/f1_err"
"${CONNECT[@]}" "${DNS_OPTS[@]}" -l nx.dns.test 7102 </dev/null 2>"$WORK/f2_err"
RC=$?
check "-l NXDOMAIN PORT: exit 1 ($RC)" test "$RC" = 1
check "-l NXDOMAIN PORT: the line" grep -q "^ustack connect: -l nx.dns.test: EAI_NONAME" "$WORK/f2_err"
"${CONNECT[@]}" -z -s 198.18.1.2 fd00:2::1 7000 </dev/null 2>"$WORK/f3_err"
RC=$?
check "-s IPv4 to an IPv6 HOST: exit 1 ($RC)" test "$RC" = 1
check "-s IPv4 to an IPv6 HOST: the line" grep -qx \
  "ustack connect: -s 198.18.1.2: not an IPv6 address" "$WORK/f3_err"
finish
