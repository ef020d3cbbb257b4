#!/bin/bash
# The Python binding against the real kernel over TUN (needs root and /dev/net/tun; FAILS
# without them), MicroPython-style scripts run unchanged by `python3 -m ustack`:
#   EchoServerEchoesTheKernelsNc            python/examples/echo_server.py, nc and a 300 kB
#                                           Python client from the namespace
#   PollEchoServerServes50Clients          uselect.poll, 50 kernel clients at once
#   UdpEchoServerAnswersTheKernel
#   SpecHttpGetByNameThroughDnsmasq        the spec's HTTP GET: getaddrinfo via ustack's
#                                          resolver and dnsmasq, python's http.server
#   CtrlCIsKeyboardInterruptAndTheNetworkGoesOn   SIGINT ends a blocking accept with
#                                          KeyboardInterrupt; the next accept works
#   TheGilIsReleasedWhileBlocked           a thread runs while the main thread blocks
#   SigtermIsEintr, BadDeviceOptionsAreOneError
source "$(dirname "$0")/../../tools/integration/lib.sh"
setup_ns
export PYTHONPATH="$PWD/python"
PY=(/usr/bin/python3 -u -m ustack)
EX="$PWD/python/examples"
CN_OPTS=(--tun "$CN_DEV" --netns "$NS" --no-create --addr 198.18.1.2/24 --addr fd00:2::2/64)

# launch_py NAME SCRIPT ARGS... -- DEVICE OPTIONS: as launch_bg, waits for "ready".
launch_py() { launch_bg "$1" "${PY[@]}" "${@:2}"; }

# --- TCP echo server: kernel nc, then 300 kB from Python ---
launch_py echo_server "$EX/echo_server.py" 7 -- "${SV_OPTS[@]}"
check "echo_server.py echoes nc's line" \
  test "$(echo "hello from nc" | in_ns nc -N -w 5 198.18.0.2 7)" = "hello from nc"
cat >"$WORK/tcp_client.py" <<'PY'
import hashlib, os, socket
data = os.urandom(300_000)
s = socket.create_connection(("198.18.0.2", 7), timeout=10)
s.sendall(data)
s.shutdown(socket.SHUT_WR)
got = b""
while chunk := s.recv(65536):
    got += chunk
print(len(got), got == data)
PY
check "echo_server.py echoes 300000 bytes to a kernel client" \
  test "$(in_ns python3 "$WORK/tcp_client.py")" = "300000 True"
check "echo_server.py reports the client" grep -q "done: 300000 bytes echoed to 198.18.0.1" "$USTACK_LOG"
stop_ustack TERM
cat "$USTACK_LOG"
check "SIGTERM: the blocking accept raised OSError(EINTR) (exit 1, InterruptedError)" \
  grep -q "InterruptedError: \[Errno 4\]" "$USTACK_LOG"
check "SIGTERM: the script's exit status is python's (1)" test "$USTACK_RC" = 1
check "the device ustack made is gone" bash -c "! ip netns exec $NS ip link show $SV_DEV 2>/dev/null"

# --- uselect.poll echo server, 50 kernel clients at once ---
launch_py poll_echo_server "$EX/poll_echo_server.py" 7 -- "${SV_OPTS[@]}"
cat >"$WORK/many_clients.py" <<'PY'
import os, socket, threading
N, SIZE = 50, 20_000
ok = []
ready = threading.Barrier(N)
def client():
    data = os.urandom(SIZE)
    s = socket.create_connection(("198.18.0.2", 7), timeout=20)
    ready.wait()
    s.sendall(data)
    got = b""
    while len(got) < SIZE and (chunk := s.recv(65536)):
        got += chunk
    s.close()
    ok.append(got == data)
threads = [threading.Thread(target=client) for _ in range(N)]
for t in threads: t.start()
for t in threads: t.join()
print(sum(ok))
PY
check "poll_echo_server.py: 50 concurrent kernel clients get their bytes back" \
  test "$(in_ns python3 "$WORK/many_clients.py")" = 50
for _ in $(seq 50); do grep -q "^served 50 " "$USTACK_LOG" && break; sleep 0.1; done
check "poll_echo_server.py held 50 clients at once" grep -q "^served 50 (at most 50 at once)" "$USTACK_LOG"
grep "^served 50" "$USTACK_LOG"
stop_ustack TERM

# --- UDP echo server ---
launch_py udp_echo_server "$EX/udp_echo_server.py" 7 -- "${SV_OPTS[@]}"
cat >"$WORK/udp_ping.py" <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.sendto(b"ping over ustack", ("198.18.0.2", 7))
print(s.recvfrom(100)[0].decode())
PY
check "udp_echo_server.py answers the kernel" \
  test "$(in_ns python3 "$WORK/udp_ping.py")" = "ping over ustack"
stop_ustack TERM

# --- the spec's HTTP GET by name: dnsmasq + python's http.server in the namespace ---
mkdir -p "$WORK/www"
head -c 200000 /dev/urandom >"$WORK/www/page.bin"
printf 'local=/ustack.test/\nhost-record=web.ustack.test,198.18.1.1\n' >"$WORK/dnsmasq.conf"
bg_ns dnsmasq --no-daemon --no-resolv --no-hosts --bind-interfaces --port 53 \
  --listen-address=198.18.1.1 --conf-file="$WORK/dnsmasq.conf" --user=root --log-queries \
  --log-facility=- >"$WORK/dnsmasq.log" 2>&1
bg_ns python3 -m http.server --bind 198.18.1.1 --directory "$WORK/www" 8080 \
  >"$WORK/http.log" 2>&1
wait_listen 8080
for _ in $(seq 50); do in_ns ss -Hlun "sport = :53" | grep -q . && break; sleep 0.1; done
"${PY[@]}" "$EX/http_get.py" web.ustack.test 8080 /page.bin -- "${CN_OPTS[@]}" \
  --nameserver 198.18.1.1 >"$WORK/got" 2>"$WORK/got.err"
RC=$?
cat "$WORK/got.err"
check "http_get.py: exit 0" test "$RC" = 0
check "http_get.py: HTTP 200" grep -qa "^HTTP/1.0 200 OK" "$WORK/got"
body_sha=$(python3 -c 'import sys,hashlib; d=open(sys.argv[1],"rb").read(); print(hashlib.sha256(d[d.index(b"\r\n\r\n")+4:]).hexdigest())' "$WORK/got")
check "http_get.py: the body is the page, byte for byte" \
  test "$body_sha" = "$(sha256sum "$WORK/www/page.bin" | cut -d' ' -f1)"
check "http_get.py: ustack asked dnsmasq" \
  grep -q "query\[A\] web.ustack.test from 198.18.1.2" "$WORK/dnsmasq.log"
"${PY[@]}" "$EX/http_get.py" nosuch.ustack.test 8080 / -- "${CN_OPTS[@]}" \
  --nameserver 198.18.1.1 >/dev/null 2>"$WORK/nx.err"
RC=$?
check "an unknown name: OSError -2 in python's traceback, exit 1" \
  bash -c "[ $RC = 1 ] && grep -q '^OSError: \[Errno -2\] Name or service not known' $WORK/nx.err"
tail -1 "$WORK/nx.err"

# --- Ctrl-C and the GIL ---
cat >"$WORK/interrupt.py" <<'PY'
import signal, sys, threading, time
import usocket
signal.signal(signal.SIGINT, signal.default_int_handler)  # what a terminal gives python
s = usocket.socket()
s.bind(("0.0.0.0", 7))
s.listen()
# The GIL: a thread counts while the main thread blocks in accept (0.5 s timeout).
ticks = 0
def count():
    global ticks
    end = time.monotonic() + 0.4
    while time.monotonic() < end:
        ticks += 1
t = threading.Thread(target=count)
s.settimeout(0.5)
t.start()
try:
    s.accept()
except TimeoutError:
    pass
t.join()
print("thread ran while blocked:", ticks > 1000, flush=True)
s.settimeout(None)
print("ready", flush=True)
try:
    s.accept()
except KeyboardInterrupt:
    print("KeyboardInterrupt in accept", flush=True)
conn, peer = s.accept()  # the network goes on after Ctrl-C
conn.write(b"still here\n")
conn.close()
print("served after Ctrl-C", flush=True)
PY
launch_py interrupt "$WORK/interrupt.py" -- "${SV_OPTS[@]}"
check "the GIL is released while a call blocks" grep -q "thread ran while blocked: True" "$USTACK_LOG"
sleep 0.3
kill -INT "$USTACK_PID"
for _ in $(seq 50); do grep -q "KeyboardInterrupt in accept" "$USTACK_LOG" && break; sleep 0.1; done
check "SIGINT: the blocking accept raised KeyboardInterrupt" grep -q "KeyboardInterrupt in accept" "$USTACK_LOG"
check "after Ctrl-C the network still serves" \
  test "$(in_ns nc -w 5 198.18.0.2 7 </dev/null)" = "still here"
wait "$USTACK_PID"
check "interrupt.py: exit 0" test "$?" = 0
cat "$USTACK_LOG"

# --- bad device options ---
"${PY[@]}" "$EX/udp_echo_server.py" 7 -- --tun "$CN_DEV" --mtu 70000 --addr 198.18.1.2/24 \
  >"$WORK/bad" 2>&1
RC=$?
check "bad device options: exit 1" test "$RC" = 1
check "bad device options: one line naming the option" \
  grep -qF "ustack python: [Errno 22] EINVAL: bad network options: --mtu 70000 out of range" "$WORK/bad"
cat "$WORK/bad"
finish
