#!/bin/bash
# The cost of a packet with N idle connections open (issue 17: it must not grow with N), for
# ustack and gVisor's netstack as the kernel's TCP peer over the same TUN. A benchmark, not a
# test: it asserts nothing and is not in any BUILD file's tests. Needs root and /dev/net/tun,
# gcc for `tcprr`, and go + golang-gvisor-gvisor-dev for `gvtun` (the rig in ../shared/bench;
# its tools are used from its bin/ if built there, else built here into a temporary folder).
#
#   tools/bench/idle_compare.sh                 # REPS=3 RRDUR=5 IDLE_COUNTS="0 1000 10000"
# Build ustack first with `bazel build -c opt //tools:ustack`; copy it elsewhere (USTACK=) if
# builds may run meanwhile.
#   USTACK=/tmp/ustack REPS=5 IDLE_COUNTS="0 10000" tools/bench/idle_compare.sh
#
# Topology (a fresh namespace for every run; only 198.18.4.0/24; removed at exit, also on
# Ctrl-C): netns bidle<pid>, TUN bidle<pid>, kernel 198.18.4.1/24 <-> peer 198.18.4.2, the peer
# serving the rig's bulk protocol on :5001 and echo on :5002:
#   gVisor: gvtun -dev DEV -addr 198.18.4.2/24
#   ustack: ustack serve --tun DEV --addr 198.18.4.2/24 bulk:5001 echo:5002
# For each N in IDLE_COUNTS, peers interleaved, REPS times:
#   1. start the peer in a new namespace;
#   2. a python3 holder in the namespace opens N TCP connections to the echo port (batches of
#      HOLD_BATCH in flight, failed or slow connects retried: ustack's listen backlog is 1024),
#      prints "held N" and sleeps holding them; nothing is ever sent on them;
#   3. the peer's RSS (VmRSS of the peer process itself) and its CPU use over IDLE_SECS s of
#      doing nothing but holding them;
#   4. `tcprr rr` (1-byte ping-pong on one more connection) and `tcprr crr` (connect + 1-byte
#      RR + close), RRDUR s each: trans/s and p99;
#   5. stop the peer and the holder, delete the namespace.
# Prints medians (min-max) per (peer, N), the ratios to N=0 per peer, and a markdown table.
# Env: USTACK REPS RRDUR IDLE_COUNTS IDLE_SECS HOLD_BATCH BENCH_DIR (the rig, default
#      ../shared/bench beside the repository) USTACK_ARGS GVFLAGS (extra peer flags)
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# bazel-out/k8-opt, not bazel-bin: bazel-bin points at whatever configuration was built last, and a
# fastbuild (-O0) ustack measured here runs at a third of its RR rate.
USTACK=${USTACK:-$ROOT/bazel-out/k8-opt/bin/tools/ustack}
BENCH_DIR=${BENCH_DIR:-$ROOT/../shared/bench}
REPS=${REPS:-3}
RRDUR=${RRDUR:-5}
IDLE_COUNTS=${IDLE_COUNTS:-"0 1000 10000"}
IDLE_SECS=${IDLE_SECS:-2}
HOLD_BATCH=${HOLD_BATCH:-256}
PEERS="gvisor ustack"
ID=$$
NS="bidle$ID"
DEV="bidle$ID"
WORK=$(mktemp -d /tmp/idle_compare.XXXXXX)
PIDS=()

stop_pid() {  # stop_pid PID: SIGTERM, wait up to 3 s, SIGKILL (only PIDs this script started)
  local p=$1
  kill -TERM "$p" 2>/dev/null || return 0
  for _ in $(seq 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null
  wait "$p" 2>/dev/null
  return 0
}
cleanup() {
  local p
  for p in "${PIDS[@]}"; do stop_pid "$p"; done
  ip netns delete "$NS" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
die() { echo "idle_compare: $*" >&2; exit 1; }
log() { echo "[$(date +%T)] $*" >&2; }

[ "$(id -u)" = 0 ] || die "needs root (network namespaces, TUN)"
[ -c /dev/net/tun ] || die "/dev/net/tun is missing"
[ -x "$USTACK" ] || die "no ustack at $USTACK (bazel build -c opt //tools:ustack)"
command -v python3 >/dev/null || die "python3 is needed for the idle-connection holder"

# --- the rig's tools: its bin/ if built, else build tcprr and gvtun here ---
BIN=$BENCH_DIR/bin
if [ ! -x "$BIN/tcprr" ] || [ ! -x "$BIN/gvtun" ]; then
  BIN=$WORK/bin
  mkdir -p "$BIN"
  log "building tcprr and gvtun from $BENCH_DIR into $BIN"
  gcc -O2 -pthread -o "$BIN/tcprr" "$BENCH_DIR/src/tcprr.c" || die "cannot build tcprr"
  command -v go >/dev/null || die "go is needed for gvtun (apt-get install golang-go golang-gvisor-gvisor-dev)"
  (cd "$BENCH_DIR/gvtun" && GOPATH=/usr/share/gocode GO111MODULE=off GOFLAGS= \
    GOCACHE="${GOCACHE:-/tmp/bench-gocache}" go build -o "$BIN/gvtun" .) || die "cannot build gvtun"
fi

# --- the holder: connects N sockets, retrying, then holds them ---
cat >"$WORK/hold.py" <<'PY'
# hold.py HOST PORT N BATCH: open N idle TCP connections, at most BATCH connects in flight;
# a connect that fails or takes over 3 s is closed and retried (up to 20 times per slot).
# Prints "held K of N secs=S retries=R", then sleeps until killed.
import errno, resource, selectors, socket, sys, time
host, port, n, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
want = n + 256
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft < want:
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(want, soft), max(want, hard)))
held, retries, tries = [], 0, {}
sel = selectors.DefaultSelector()
start = time.monotonic()
todo = list(range(n))
pending = {}  # socket -> (slot, started)
while todo or pending:
    while todo and len(pending) < batch:
        slot = todo.pop()
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        e = s.connect_ex((host, port))
        if e not in (0, errno.EINPROGRESS):
            s.close(); retries += 1; tries[slot] = tries.get(slot, 0) + 1
            if tries[slot] < 20: todo.append(slot)
            time.sleep(0.01); continue
        pending[s] = (slot, time.monotonic())
        sel.register(s, selectors.EVENT_WRITE)
    for key, _ in sel.select(timeout=0.2):
        s = key.fileobj
        slot, _t = pending.pop(s)
        sel.unregister(s)
        if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
            held.append(s)
        else:
            s.close(); retries += 1; tries[slot] = tries.get(slot, 0) + 1
            if tries[slot] < 20: todo.append(slot)
    now = time.monotonic()
    for s, (slot, t) in list(pending.items()):
        if now - t > 3:
            pending.pop(s); sel.unregister(s); s.close(); retries += 1
            tries[slot] = tries.get(slot, 0) + 1
            if tries[slot] < 20: todo.append(slot)
print("held %d of %d secs=%.2f retries=%d" % (len(held), n, time.monotonic() - start, retries),
      flush=True)
while True:
    time.sleep(3600)
PY

field() { grep -o "\b$1=[^ ]*" | tail -1 | cut -d= -f2; }

# peer_pid PID: the peer process itself: follow `ip netns exec` / shells down to their child
peer_pid() {
  local p=$1 c
  for _ in 1 2 3; do
    case $(cat "/proc/$p/comm" 2>/dev/null) in
      ip|bash|sh) c=$(pgrep -P "$p" | head -1); [ -n "$c" ] && p=$c || break ;;
      *) break ;;
    esac
  done
  echo "$p"
}
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null; }

new_ns() {
  ip netns delete "$NS" 2>/dev/null
  ip netns add "$NS" || die "cannot create $NS"
  ip -n "$NS" link set lo up
  ip netns exec "$NS" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 \
    net.ipv6.conf.default.disable_ipv6=1 net.ipv4.tcp_tw_reuse=1 \
    net.ipv4.ip_local_port_range="1024 65535"
  ip -n "$NS" tuntap add dev "$DEV" mode tun || die "cannot create $DEV"
  ip -n "$NS" addr add 198.18.4.1/24 dev "$DEV"
  ip -n "$NS" link set "$DEV" up
}

wait_tcp() {  # until 198.18.4.2:5002 accepts (max 10 s)
  for _ in $(seq 100); do
    ip netns exec "$NS" timeout 1 bash -c 'exec 3<>/dev/tcp/198.18.4.2/5002' 2>/dev/null && return 0
    sleep 0.1
  done
  log "peer did not come up: $(cat "$WORK/peer.log")"
  return 1
}

start_peer() {  # start_peer gvisor|ustack -> PEER (our PID), PEER_PROC (the peer's own PID)
  if [ "$1" = gvisor ]; then
    ip netns exec "$NS" "$BIN/gvtun" -dev "$DEV" -addr 198.18.4.2/24 ${GVFLAGS:-} \
      >"$WORK/peer.log" 2>&1 &
  else
    ip netns exec "$NS" "$USTACK" serve --tun "$DEV" --addr 198.18.4.2/24 ${USTACK_ARGS:-} \
      bulk:5001 echo:5002 >"$WORK/peer.log" 2>&1 &
  fi
  PEER=$!
  PIDS+=("$PEER")
  wait_tcp || return 1
  PEER_PROC=$(peer_pid "$PEER")
}

declare -A V
commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)
echo "idle_compare: $(date -u '+%F %H:%M UTC'), commit $commit, kernel $(uname -r)," \
  "$(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))," \
  "REPS=$REPS RRDUR=$RRDUR IDLE_COUNTS=\"$IDLE_COUNTS\" IDLE_SECS=$IDLE_SECS," \
  "USTACK=$USTACK"
hz=$(getconf CLK_TCK)
for n in $IDLE_COUNTS; do
  for i in $(seq "$REPS"); do
    for peer in $PEERS; do
      new_ns
      if ! start_peer "$peer"; then
        stop_pid "$PEER"
        continue
      fi
      held=0
      holders=()
      if [ "$n" -gt 0 ]; then
        # One holder per (fd hard limit - 512) connections: a process cannot raise its hard
        # limit here, and 50 000 sockets need more than one process's 20 000.
        per=$(( $(ulimit -Hn) - 512 ))
        [ "$per" -ge 512 ] || per=512
        left=$n
        k=0
        while [ "$left" -gt 0 ]; do
          c=$(( left < per ? left : per ))
          ip netns exec "$NS" python3 "$WORK/hold.py" 198.18.4.2 5002 "$c" "$HOLD_BATCH" \
            >"$WORK/hold.$k.log" 2>&1 &
          holders+=($!)
          PIDS+=($!)
          left=$(( left - c ))
          k=$(( k + 1 ))
        done
        for _ in $(seq 6000); do  # up to 10 min
          done_n=0
          for j in $(seq 0 $(( k - 1 ))); do
            if grep -q '^held' "$WORK/hold.$j.log" || ! kill -0 "${holders[$j]}" 2>/dev/null; then
              done_n=$(( done_n + 1 ))
            fi
          done
          [ "$done_n" -eq "$k" ] && break
          kill -0 "$PEER" 2>/dev/null || break
          sleep 0.1
        done
        line=""
        for j in $(seq 0 $(( k - 1 ))); do
          l=$(grep '^held' "$WORK/hold.$j.log")
          h=$(echo "$l" | awk '{print $2}')
          held=$(( held + ${h:-0} ))
          line+="${l:-holder $j gave no answer: $(tail -3 "$WORK/hold.$j.log")}; "
        done
        log "$peer N=$n rep $i: $line"
      fi
      kill -0 "$PEER" 2>/dev/null || log "$peer died holding $n: $(tail -5 "$WORK/peer.log")"
      sleep 1  # settle: ACKs, allocations, a GC
      t0=$(cpu_ticks "$PEER_PROC")
      sleep "$IDLE_SECS"
      t1=$(cpu_ticks "$PEER_PROC")
      rss=$(rss_kib "$PEER_PROC")
      cpu=$(awk -v a="$t0" -v b="$t1" -v hz="$hz" -v s="$IDLE_SECS" \
        'BEGIN {if (a == "" || b == "") print ""; else printf "%.1f", (b - a) / hz / s * 100}')
      rr=$(ip netns exec "$NS" "$BIN/tcprr" rr -H 198.18.4.2 -p 5002 -t "$RRDUR" 2>&1)
      crr=$(ip netns exec "$NS" "$BIN/tcprr" crr -H 198.18.4.2 -p 5002 -t "$RRDUR" 2>&1)
      V[$peer,$n,held]+=" $held"
      V[$peer,$n,rss]+=" $(awk -v k="$rss" 'BEGIN {if (k != "") printf "%.1f", k / 1024}')"
      V[$peer,$n,cpu]+=" $cpu"
      V[$peer,$n,rr]+=" $(echo "$rr" | field tps)"
      V[$peer,$n,rrp99]+=" $(echo "$rr" | field p99_us)"
      V[$peer,$n,crr]+=" $(echo "$crr" | field tps)"
      V[$peer,$n,crrp99]+=" $(echo "$crr" | field p99_us)"
      log "$peer N=$n rep $i: held=$held rss=${rss}KiB idle_cpu=${cpu}%" \
        "rr tps=$(echo "$rr" | field tps) p99=$(echo "$rr" | field p99_us)us" \
        "crr tps=$(echo "$crr" | field tps) p99=$(echo "$crr" | field p99_us)us"
      stop_pid "$PEER"
      for h in "${holders[@]}"; do stop_pid "$h"; done
      ip netns delete "$NS" 2>/dev/null
      sleep 1
    done
  done
done

median() {
  printf '%s\n' $1 | grep -E '^[0-9.]+$' | sort -g |
    awk '{v[NR]=$1} END {if (NR==0) print "nan"; else print (NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2}'
}
range() {  # "min-max"
  printf '%s\n' $1 | grep -E '^[0-9.]+$' | sort -g | awk 'NR==1 {a=$1} {b=$1} END {print a "-" b}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b+0 > 0 && a != "nan") printf "%.2f", a/b; else print "n/a"}'; }
label() { [ "$1" = gvisor ] && echo "gVisor" || echo "ustack"; }

echo
first=${IDLE_COUNTS%% *}
for peer in $PEERS; do
  for n in $IDLE_COUNTS; do
    for k in held rss cpu rr rrp99 crr crrp99; do
      case $k in held) what="idle connections held";; rss) what="peer RSS MiB";;
        cpu) what="peer CPU % while idle";; rr) what="RR trans/s";; rrp99) what="RR p99 us";;
        crr) what="CRR conn/s";; crrp99) what="CRR p99 us";; esac
      printf '%-7s N=%-6s %-24s %10s  (%s)  [%s ]\n' "$(label $peer)" "$n" "$what" \
        "$(median "${V[$peer,$n,$k]:-}")" "$(range "${V[$peer,$n,$k]:-}")" "${V[$peer,$n,$k]:-}"
    done
    printf '%-7s N=%-6s RR(N)/RR(%s) %s  CRR(N)/CRR(%s) %s\n' "$(label $peer)" "$n" "$first" \
      "$(ratio "$(median "${V[$peer,$n,rr]:-}")" "$(median "${V[$peer,$first,rr]:-}")")" "$first" \
      "$(ratio "$(median "${V[$peer,$n,crr]:-}")" "$(median "${V[$peer,$first,crr]:-}")")"
  done
  rss0=$(median "${V[$peer,$first,rss]:-}")
  for n in $IDLE_COUNTS; do
    [ "$n" -gt 0 ] || continue
    printf '%-7s RSS per idle connection at N=%s: %s KiB\n' "$(label $peer)" "$n" \
      "$(awk -v a="$(median "${V[$peer,$n,rss]:-}")" -v b="$rss0" -v n="$n" \
        'BEGIN {if (a == "nan" || b == "nan") print "n/a"; else printf "%.2f", (a - b) * 1024 / n}')"
  done
done

echo
echo "| peer | idle conns | RR trans/s | RR p99 µs | CRR conn/s | CRR p99 µs | RSS MiB | idle CPU % | RR / RR($first) | CRR / CRR($first) |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for peer in $PEERS; do
  for n in $IDLE_COUNTS; do
    m() { median "${V[$peer,$n,$1]:-}"; }
    held=$(m held)
    nlabel=$n
    [ "$held" != nan ] && [ "$n" -gt 0 ] && [ "${held%.*}" -lt "$n" ] && nlabel="$n (held $held)"
    printf '| %s | %s | %s (%s) | %s | %s (%s) | %s | %s | %s | %s | %s |\n' "$(label $peer)" \
      "$nlabel" "$(m rr)" "$(range "${V[$peer,$n,rr]:-}")" "$(m rrp99)" "$(m crr)" \
      "$(range "${V[$peer,$n,crr]:-}")" "$(m crrp99)" "$(m rss)" "$(m cpu)" \
      "$(ratio "$(m rr)" "$(median "${V[$peer,$first,rr]:-}")")" \
      "$(ratio "$(m crr)" "$(median "${V[$peer,$first,crr]:-}")")"
  done
done
