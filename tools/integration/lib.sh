# Shared helpers for the `ustack serve` / `ustack connect` tests against the real kernel.
#
# Topology (names unique per run, they carry the pid):
#   netns ustsv<pid>
#     TUN ussv<pid>   kernel 198.18.0.1/24 fd00:1::1/64  <->  `ustack serve`   198.18.0.2 fd00:1::2
#     TUN uscn<pid>   kernel 198.18.1.1/24 fd00:2::1/64  <->  `ustack connect` 198.18.1.2 fd00:2::2
# The connect device is created here and persists (each `ustack connect` attaches to it), so
# kernel-side servers keep their addresses between runs. Only 198.18.0.0/15 and fd00::/8.
# Every process started here is stopped by PID and the namespace deleted on exit, also on
# failure. Without root or /dev/net/tun the test FAILS (nothing is skipped).
set -uo pipefail

# The common part (cleanup on exit, die/check/finish, require_root, in_ns/bg_ns, the counters
# readers) is the `ustack up` tests' library; this file adds the serve/connect topology.
# shellcheck source=../../tun/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../tun/integration/lib.sh"

NS="ustsv${ID}"
SV_DEV="ussv${ID}"
CN_DEV="uscn${ID}"
# `ustack connect` on the persistent device, IPv4 and IPv6.
CONNECT=("$USTACK" connect --tun "$CN_DEV" --netns "$NS" --no-create --addr 198.18.1.2/24
  --addr fd00:2::2/64)

# setup_ns: the namespace (lo up, no IPv6 DAD delays) and the persistent connect device.
setup_ns() {
  require_root
  ip netns add "$NS" || die "cannot create netns $NS"
  in_ns ip link set lo up
  in_ns sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
  in_ns ip tuntap add dev "$CN_DEV" mode tun || die "cannot create $CN_DEV"
  in_ns ip addr add 198.18.1.1/24 dev "$CN_DEV"
  in_ns ip addr add fd00:2::1/64 dev "$CN_DEV" nodad
  in_ns ip link set "$CN_DEV" up
}

# The device options of a ustack that serves (its own device, created and removed by it).
SV_OPTS=(--tun "$SV_DEV" --netns "$NS" --addr 198.18.0.2/24 --addr fd00:1::2/64
  --peer 198.18.0.1/24 --peer fd00:1::1/64)

# launch_sv SUBCOMMAND... -- ARGS...: `ustack SUBCOMMAND... SV_OPTS ARGS...` (e.g. `launch_sv
# udp echo -- 7`) in the background; waits for "ready" and for the kernel's IPv6 address on the
# new device (usable before clients use it).
launch_sv() {
  local cmd=()
  while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do cmd+=("$1"); shift; done
  shift
  launch_ustack "${cmd[@]}" "${SV_OPTS[@]}" "$@"
  for _ in $(seq 50); do
    in_ns ip -6 addr show dev "$SV_DEV" | grep -q tentative || break
    sleep 0.1
  done
}

# start_serve SERVICE...: `ustack serve` on its own device in the namespace; waits for "ready".
start_serve() { launch_sv serve -- "$@"; }

# wait_ss SS_FLAGS PORT WHAT: until `ss SS_FLAGS` in the namespace shows a socket on PORT.
wait_ss() {
  for _ in $(seq 50); do
    in_ns ss "$1" "sport = :$2" | grep -q . && return 0
    sleep 0.1
  done
  die "no kernel $3 on port $2"
}
# wait_listen PORT: until a kernel TCP listener on PORT exists in the namespace.
wait_listen() { wait_ss -Hltn "$1" listener; }
# wait_udp PORT: until a kernel UDP socket is bound to PORT in the namespace.
wait_udp() { wait_ss -Hlun "$1" "UDP socket"; }

# start_peer_logger PORT FILE: a kernel TCP server in the namespace on PORT (every address,
# both families) that accepts, never closes, and appends "ADDR PORT" of each peer to FILE.
start_peer_logger() {
  bg_ns /usr/bin/python3 -c '
import socket, sys
s = socket.create_server(("::", int(sys.argv[1])), family=socket.AF_INET6, dualstack_ipv6=True)
held = []
while True:
    c, peer = s.accept()
    held.append(c)
    with open(sys.argv[2], "a") as f:
        print(peer[0].removeprefix("::ffff:"), peer[1], file=f, flush=True)
' "$1" "$2"
  wait_listen "$1"
}

# The SHA-256 of the first N bytes of the generated body (tools/services/generated_body.h).
generated_sha256() {
  /usr/bin/python3 - "$1" <<'PY'
import hashlib, sys
n = int(sys.argv[1]); h = hashlib.sha256(); step = 1 << 20
for base in range(0, n, step):
    end = min(n, base + step)
    chunk = b"".join(b"%015x\n" % k for k in range(base, end + 15, 16))
    h.update(chunk[: end - base])
print(h.hexdigest())
PY
}

# resolve OUT ARGS...: runs `${RESOLVE[@]} ARGS` (the test's `ustack resolve` command line),
# stdout to $WORK/OUT, stderr to $WORK/OUT.err, the exit code in RC; shows both in the log.
resolve() {
  local out="$WORK/$1"
  shift
  "${RESOLVE[@]}" "$@" >"$out" 2>"$out.err"
  RC=$?
  echo "  \$ ustack resolve $*  (exit $RC)"
  sed 's/^/    /' "$out" "$out.err" | head -30
}

# tcp_echo_line LINE: the kernel connects to ustack's echo service at 198.18.0.2:7, sends LINE
# and a newline, reads the echo, closes; prints what came back (without the newline).
tcp_echo_line() {
  in_ns /usr/bin/python3 - "$1" <<'PY'
import socket, sys
line = sys.argv[1].encode() + b"\n"
s = socket.create_connection(("198.18.0.2", 7), timeout=10)
s.sendall(line)
got = b""
while len(got) < len(line):
    b = s.recv(100)
    if not b:
        break
    got += b
s.close()
print(got.decode().strip())
PY
}

# udp_big_echo ADDR: 65000 random bytes to the UDP echo service at ADDR:7 from the kernel side
# (fragmented both ways); succeeds if the same bytes come back.
udp_big_echo() {
  in_ns /usr/bin/python3 - "$1" <<'PY'
import os, socket, sys
addr = sys.argv[1]
s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
data = os.urandom(65000)
s.sendto(data, (addr, 7))
got, _ = s.recvfrom(70000)
print("  65000 bytes to %s: %d back, %s" % (addr, len(got), "equal" if got == data else "DIFFERENT"))
sys.exit(0 if got == data else 1)
PY
}

# udp_answered NETNS ADDR PORT N: of N UDP sockets in NETNS each sending one datagram to
# ADDR:PORT at once, how many got an answer within 1.5 s (flow caps).
udp_answered() {
  ip netns exec "$1" timeout 20 python3 - "$2" "$3" "$4" <<'PY'
import socket, sys, time
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
socks = []
for i in range(int(sys.argv[3])):
    u = socket.socket(fam, socket.SOCK_DGRAM); u.setblocking(False)
    u.sendto(b"flow %d" % i, (sys.argv[1], int(sys.argv[2]))); socks.append(u)
time.sleep(1.5)
answered = 0
for u in socks:
    try:
        u.recv(100); answered += 1
    except BlockingIOError:
        pass
print(answered)
PY
}
