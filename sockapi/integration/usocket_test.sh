#!/bin/bash
# The usocket examples (sockapi/examples) against the real kernel over TUN, kernel programs as
# their peers:
#   TcpEchoServerEchoesAKernelClient      300 kB from python's socket, the same bytes back
#   TcpEchoServerStopsCleanlyOnSigterm    blocking accept() ends with EINTR, exit 0
#   PollEchoServerServes100ConcurrentClients  uselect.poll, one thread, 100 kernel clients at
#                                         once, 20 kB each, every byte back
#   UdpEchoServerAnswersTheKernel         a datagram from the kernel comes back
#   UdpClientGetsTheKernelsAnswer         IPv4 and IPv6, a kernel UDP echo as the server
#   ClassicErrorsRaiseLinuxErrnos         ECONNREFUSED from the kernel's RST, EBADF, EPIPE ...
#   HttpGetResolvesByNameAndReadsThePage  the spec's example: getaddrinfo through ustack's
#                                         resolver against dnsmasq, python's http.server
#   BadDeviceOptionsAreOneClearError      Network::open's OSError(EINVAL), exit 1
source "$(dirname "$0")/../../tools/integration/lib.sh"
source "$(dirname "$0")/peers.sh"
setup_ns
EX="$PWD/sockapi/examples"
CN_OPTS=(--tun "$CN_DEV" --netns "$NS" --no-create --addr 198.18.1.2/24 --addr fd00:2::2/64)

# launch_example NAME ARGS...: an example program, as launch_ustack runs ustack.
launch_example() { launch_bg "$1" "$EX/$1" "${@:2}"; }

# --- TCP echo server ---
launch_example tcp_echo_server 7 "${SV_OPTS[@]}"
check "tcp_echo_server echoes 300000 bytes to a kernel client" \
  test "$(echo_client 300000)" = "300000 True"
check "tcp_echo_server reports the client" grep -q "done: 300000 bytes echoed" "$USTACK_LOG"
stop_ustack TERM
check "tcp_echo_server exits 0 on SIGTERM (accept raised EINTR)" test "$USTACK_RC" = 0

# --- uselect.poll echo server, 100 kernel clients at once ---
launch_example poll_echo_server 7 "${SV_OPTS[@]}"
check "poll_echo_server: 100 concurrent kernel clients all get their 20000 bytes back" \
  test "$(echo_clients 100 20000)" = 100
for _ in $(seq 50); do grep -q "^served 100 " "$USTACK_LOG" && break; sleep 0.1; done
check "poll_echo_server held 100 clients at once" grep -q "^served 100 (at most 100 at once)" "$USTACK_LOG"
grep "^served 100" "$USTACK_LOG"
stop_ustack TERM
check "poll_echo_server exits 0 on SIGTERM" test "$USTACK_RC" = 0

# --- UDP echo server ---
launch_example udp_echo_server 7 "${SV_OPTS[@]}"
check "udp_echo_server answers the kernel" \
  test "$(udp_ping)" = "ping over ustack"
stop_ustack TERM
check "udp_echo_server exits 0 on SIGTERM" test "$USTACK_RC" = 0

# --- UDP client against a kernel UDP echo ---
cat >"$WORK/udp_echo.py" <<'PY'
import socket, sys
socks = []
for fam, addr in ((socket.AF_INET, "198.18.1.1"), (socket.AF_INET6, "fd00:2::1")):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((addr, 5555))
    socks.append(s)
print("ready", flush=True)
import select
while True:
    for s in select.select(socks, [], [])[0]:
        data, peer = s.recvfrom(65535)
        s.sendto(b"echo:" + data, peer)
PY
bg_ns python3 -u "$WORK/udp_echo.py" >"$WORK/udp_echo.log" 2>&1
for _ in $(seq 50); do grep -q ready "$WORK/udp_echo.log" && break; sleep 0.1; done
"$EX/udp_client" 198.18.1.1 5555 hello4 "${CN_OPTS[@]}" >"$WORK/uc4" 2>&1
check "udp_client over IPv4 prints the kernel's answer" \
  grep -qx "reply from 198.18.1.1:5555: echo:hello4" "$WORK/uc4"
"$EX/udp_client" fd00:2::1 5555 hello6 "${CN_OPTS[@]}" >"$WORK/uc6" 2>&1
check "udp_client over IPv6 prints the kernel's answer" \
  grep -qx "reply from \[fd00:2::1\]:5555: echo:hello6" "$WORK/uc6"
cat "$WORK/uc4" "$WORK/uc6"

# --- classic errors (port 9: nothing listens, the kernel answers SYN with RST) ---
"$EX/classic_errors" 198.18.1.1 9 "${CN_OPTS[@]}" >"$WORK/errors" 2>&1
cat "$WORK/errors"
check_classic_errors "$WORK/errors"

# --- the spec's HTTP GET: name -> dnsmasq (through ustack's resolver) -> python http.server ---
start_web
"$EX/http_get" web.ustack.test 8080 /page.bin "${CN_OPTS[@]}" --nameserver 198.18.1.1 \
  >"$WORK/got" 2>"$WORK/got.err"
RC=$?
cat "$WORK/got.err"
check "http_get: exit 0" test "$RC" = 0
check_page http_get "$WORK/got"
"$EX/http_get" nosuch.ustack.test 8080 / "${CN_OPTS[@]}" --nameserver 198.18.1.1 \
  >/dev/null 2>"$WORK/nx.err"
check "http_get of an unknown name: getaddrinfo's negative errno" \
  grep -q "http_get: \[Errno -2\] Name or service not known" "$WORK/nx.err"
cat "$WORK/nx.err"

# --- bad device options ---
"$EX/udp_client" 198.18.1.1 5555 x --tun "$CN_DEV" --mtu 70000 --addr 198.18.1.2/24 \
  >"$WORK/bad" 2>&1
RC=$?
check "bad device options: exit 1" test "$RC" = 1
check "bad device options: the message names the option" \
  grep -qF "udp_client: [Errno 22] EINVAL: bad network options: --mtu 70000 out of range" "$WORK/bad"
cat "$WORK/bad"
finish
