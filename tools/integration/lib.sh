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

USTACK="${USTACK:-$PWD/tools/ustack}"
ID="$$"
NS="ustsv${ID}"
SV_DEV="ussv${ID}"
CN_DEV="uscn${ID}"
WORK="$(mktemp -d "${TEST_TMPDIR:-/tmp}/ustack-serve-it.XXXXXX")"
PIDS=()
SERVE_PID=""
SERVE_LOG="$WORK/serve.log"
FAILURES=0
# `ustack connect` on the persistent device, IPv4 and IPv6.
CONNECT=("$USTACK" connect --tun "$CN_DEV" --netns "$NS" --no-create --addr 198.18.1.2/24
  --addr fd00:2::2/64)

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  done
  ip netns delete "$NS" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

die() {
  echo "FAIL: $*" >&2
  if [ -f "$SERVE_LOG" ]; then
    echo "--- ustack serve log (last 60 lines):" >&2
    tail -60 "$SERVE_LOG" >&2
  fi
  exit 1
}

check() {  # check DESCRIPTION COMMAND...: runs COMMAND, records a failure if it fails
  local what="$1"
  shift
  if "$@"; then
    echo "ok: $what"
  else
    echo "FAIL: $what" >&2
    FAILURES=$((FAILURES + 1))
  fi
}

finish() {
  [ "$FAILURES" -eq 0 ] || die "$FAILURES check(s) failed"
  echo "all checks passed"
}

require_root() {
  [ "$(id -u)" = 0 ] || die "needs root (creates network namespaces and TUN devices)"
  [ -c /dev/net/tun ] || die "/dev/net/tun is missing (modprobe tun)"
  [ -x "$USTACK" ] || die "ustack binary not found at $USTACK"
  command -v ip >/dev/null || die "ip (iproute2) not on PATH ($PATH)"
}

in_ns() { ip netns exec "$NS" "$@"; }

# bg_ns CMD...: starts CMD in the namespace in the background; its PID (ip netns exec execs
# CMD, so signals reach CMD itself) goes to BG_PID and to the cleanup list.
bg_ns() {
  ip netns exec "$NS" "$@" &
  BG_PID=$!
  PIDS+=("$BG_PID")
}

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

# start_serve SERVICE...: `ustack serve` on its own device in the namespace; waits for "ready".
start_serve() {
  "$USTACK" serve --tun "$SV_DEV" --netns "$NS" --addr 198.18.0.2/24 --addr fd00:1::2/64 \
    --peer 198.18.0.1/24 --peer fd00:1::1/64 "$@" >"$SERVE_LOG" 2>&1 &
  SERVE_PID=$!
  PIDS+=("$SERVE_PID")
  for _ in $(seq 100); do
    grep -q "ready" "$SERVE_LOG" 2>/dev/null && break
    kill -0 "$SERVE_PID" 2>/dev/null || die "ustack serve exited early: $(cat "$SERVE_LOG")"
    sleep 0.1
  done
  grep -q "ready" "$SERVE_LOG" || die "ustack serve did not print 'ready' within 10 s"
  # The kernel's IPv6 address on the new device must be usable before clients use it.
  for _ in $(seq 50); do
    in_ns ip -6 addr show dev "$SV_DEV" | grep -q tentative || break
    sleep 0.1
  done
}

# serve_counters: SIGUSR1, then prints the newest complete counters block of the serve log.
serve_counters() {
  local before
  before=$(grep -c "end of counters" "$SERVE_LOG")
  kill -USR1 "$SERVE_PID" || die "ustack serve is not running"
  for _ in $(seq 50); do
    [ "$(grep -c "end of counters" "$SERVE_LOG")" -gt "$before" ] && break
    sleep 0.1
  done
  awk '/counters.*:$/{buf=""} {buf=buf $0 "\n"} /end of counters/{last=buf} END{printf "%s", last}' \
    "$SERVE_LOG"
}

# counter SECTION NAME < counters-text: the value (0 when absent).
counter() {
  awk -v sec="$1:" -v name="$2" '
    /^[A-Za-z0-9 ]+:$/ {cur=$0; next}
    cur==sec && $2==name {v=$1}
    END {print v+0}'
}

# wait_listen PORT [ADDR]: waits until a kernel listener on PORT exists in the namespace.
wait_listen() {
  for _ in $(seq 50); do
    in_ns ss -Hltn "sport = :$1" | grep -q . && return 0
    sleep 0.1
  done
  die "no kernel listener on port $1"
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
