#!/bin/bash
# The Python binding against the real kernel over TUN (needs root and /dev/net/tun; FAILS
# without them), MicroPython-style scripts run unchanged by `ustack python` (http_get.py by
# `python3 -m ustack`):
#   EchoServerEchoesTheKernelsNc            python/examples/echo_server.py, nc and a 300 kB
#                                           Python client from the namespace
#   PollEchoServerServes50Clients          uselect.poll, 50 kernel clients at once
#   UdpEchoServerAnswersTheKernel
#   SpecHttpGetByNameThroughDnsmasq        the spec's HTTP GET: getaddrinfo via ustack's
#                                          resolver and dnsmasq, python's http.server
#   CtrlCIsKeyboardInterruptAndTheNetworkGoesOn   SIGINT ends a blocking accept with
#                                          KeyboardInterrupt; the next accept works
#   TheGilIsReleasedWhileBlocked           a thread runs while the main thread blocks
#   ClassicErrorsRaiseLinuxErrnos          ECONNREFUSED from the kernel's RST, EBADF, EPIPE ...
#   SigtermIsEintr, BadDeviceOptionsAreOneError
source "$(dirname "$0")/../../tools/integration/lib.sh"
source "$(dirname "$0")/../../sockapi/integration/peers.sh"
setup_ns
export PYTHONPATH="$PWD/python"
PY=("$USTACK" python)  # with PYTHONUNBUFFERED: the log shows "ready" at once
export PYTHONUNBUFFERED=1
EX="$PWD/python/examples"
CN_OPTS=(--tun "$CN_DEV" --netns "$NS" --no-create --addr 198.18.1.2/24 --addr fd00:2::2/64)

# launch_py NAME SCRIPT ARGS... -- DEVICE OPTIONS: as launch_bg, waits for "ready".
launch_py() { launch_bg "$1" "${PY[@]}" "${@:2}"; }

# --- TCP echo server: kernel nc, then 300 kB from Python ---
launch_py echo_server "$EX/echo_server.py" 7 -- "${SV_OPTS[@]}"
check "echo_server.py echoes nc's line" \
  test "$(echo "hello from nc" | in_ns nc -N -w 5 198.18.0.2 7)" = "hello from nc"
check "echo_server.py echoes 300000 bytes to a kernel client" \
  test "$(echo_client 300000)" = "300000 True"
check "echo_server.py reports the client" grep -q "done: 300000 bytes echoed to 198.18.0.1" "$USTACK_LOG"
stop_ustack TERM
cat "$USTACK_LOG"
check "SIGTERM: the blocking accept raised OSError(EINTR) (exit 1, InterruptedError)" \
  grep -q "InterruptedError: \[Errno 4\]" "$USTACK_LOG"
check "SIGTERM: the script's exit status is python's (1)" test "$USTACK_RC" = 1
check "the device ustack made is gone" bash -c "! ip netns exec $NS ip link show $SV_DEV 2>/dev/null"

# --- uselect.poll echo server, 50 kernel clients at once ---
launch_py poll_echo_server "$EX/poll_echo_server.py" 7 -- "${SV_OPTS[@]}"
check "poll_echo_server.py: 50 concurrent kernel clients get their bytes back" \
  test "$(echo_clients 50 20000)" = 50
for _ in $(seq 50); do grep -q "^served 50 " "$USTACK_LOG" && break; sleep 0.1; done
check "poll_echo_server.py held 50 clients at once" grep -q "^served 50 (at most 50 at once)" "$USTACK_LOG"
grep "^served 50" "$USTACK_LOG"
stop_ustack TERM

# --- UDP echo server ---
launch_py udp_echo_server "$EX/udp_echo_server.py" 7 -- "${SV_OPTS[@]}"
check "udp_echo_server.py answers the kernel" \
  test "$(udp_ping)" = "ping over ustack"
stop_ustack TERM

# --- the spec's HTTP GET by name: dnsmasq + python's http.server in the namespace ---
start_web
/usr/bin/python3 -m ustack "$EX/http_get.py" web.ustack.test 8080 /page.bin -- "${CN_OPTS[@]}" \
  --nameserver 198.18.1.1 >"$WORK/got" 2>"$WORK/got.err"
RC=$?
cat "$WORK/got.err"
check "http_get.py: exit 0" test "$RC" = 0
check_page http_get.py "$WORK/got"
"${PY[@]}" "$EX/http_get.py" nosuch.ustack.test 8080 / -- "${CN_OPTS[@]}" \
  --nameserver 198.18.1.1 >/dev/null 2>"$WORK/nx.err"
RC=$?
check "an unknown name: OSError -2 in python's traceback, exit 1" \
  bash -c "[ $RC = 1 ] && grep -q '^OSError: \[Errno -2\] Name or service not known' $WORK/nx.err"
tail -1 "$WORK/nx.err"

# --- classic errors (port 9: nothing listens, the kernel answers SYN with RST) ---
"${PY[@]}" "$EX/classic_errors.py" 198.18.1.1 9 -- "${CN_OPTS[@]}" >"$WORK/errors" 2>&1
cat "$WORK/errors"
check_classic_errors "$WORK/errors"

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
