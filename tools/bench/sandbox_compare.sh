#!/bin/bash
# `ustack sandbox` against slirp4netns and pasta as the network of one sandbox namespace (issue
# 13 item 5). A benchmark, not a test: it asserts nothing and is in no BUILD file's tests.
# Needs root, /dev/net/tun, gcc, iperf3, slirp4netns, pasta (Debian's passt), python3, and
# `bazel build -c opt //tools:ustack`.
#
#   tools/bench/sandbox_compare.sh           # REPS=3 DUR=5 RRDUR=3 MTUS="1500 65520"
#   TOOLS="slirp4netns ustack" USTACK_ARGS=--no-offload tools/bench/sandbox_compare.sh
#   TOOLS="slirp4netns pasta ustack_base ustack" USTACK_BASE_ARGS=--no-offload ...
#     (ustack_base: $USTACK_BASE, default $USTACK, with $USTACK_BASE_ARGS: a second ustack, e.g.
#     before a change, as one more tool in the same run, and its own ratio column)
#
# The rig's topology (../shared/bench/slirp_pasta.sh), in namespaces of its own so that nothing
# here listens on the machine's loopback (names carry the pid; only 198.18.0.0/15; removed at
# exit, also on Ctrl-C; processes stopped by PID):
#
#   netns sbg<pid> (the sandbox)                   netns sbh<pid> (plays the host)
#     tap0 198.18.61.100/24, default via .2  <->   the tool under test, one at a time:
#     iperf3 -s :5201, tcprr echo :5002              slirp4netns --cidr 198.18.61.0/24
#                                                    pasta -a 198.18.61.100 -g 198.18.61.2
#                                                    ustack sandbox --cidr 198.18.61.0/24
#                                                  lo 127.0.0.1: iperf3 -s :5201, tcprr :5002
#                                                  veth sbv0 198.18.60.1/24 (default route
#                                                  via .254, for pasta): clients' target
#
# ns -> host: clients in sbg to the gateway 198.18.61.2, which each tool maps to the host's
# loopback (slirp4netns by default, pasta by default, ustack with --allow-host-loopback).
# host -> ns: clients in sbh to 198.18.60.1:15201 / :15002, each tool's port forward to the
# sandbox's :5201 / :5002 (slirp4netns: add_hostfwd on its API socket; pasta: -t; ustack:
# --publish). 198.18.60.1 is not a loopback address, so pasta takes its tap path, not splice.
#
# Figures, per MTU: iperf3 bulk ns -> host and host -> ns (DUR s, receiver's Gbit/s), the rig's
# tcprr RR (1 byte ping-pong, trans/s) and CRR (connect, 1 byte each way, close; conn/s), both
# from the sandbox to the host. Interleaved: each repetition runs every tool at every MTU once,
# a fresh tool process each time. Each figure: median (min-max) of REPS runs; then ustack's
# ratio to each of the other two and to the better of them.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
USTACK=${USTACK:-$ROOT/bazel-out/k8-opt/bin/tools/ustack}
BENCH_SRC=${BENCH_SRC:-/work/shared/bench/src}
REPS=${REPS:-3}
DUR=${DUR:-5}
RRDUR=${RRDUR:-3}
MTUS=${MTUS:-"1500 65520"}
TOOLS=${TOOLS:-"slirp4netns pasta ustack"}
ID=$$
G="sbg$ID"   # the sandbox
H="sbh$ID"   # the host
NET=198.18.61
HOSTIP=198.18.60.1
WORK=$(mktemp -d /tmp/sandbox_compare.XXXXXX)
PIDS=()      # servers, for the whole run
TOOL_PID=""  # the tool under test

stop_pid() {
  kill "$1" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$1" 2>/dev/null
  wait "$1" 2>/dev/null
}
cleanup() {
  [ -n "$TOOL_PID" ] && stop_pid "$TOOL_PID"
  for p in "${PIDS[@]}"; do stop_pid "$p"; done
  ip netns delete "$G" 2>/dev/null
  ip netns delete "$H" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# Background processes are started as `ip netns exec ... &` (it execs the program), never through
# these functions, so that $! is the program's own PID, which cleanup stops.
in_g() { ip netns exec "$G" "$@"; }
in_h() { ip netns exec "$H" "$@"; }

[ "$(id -u)" = 0 ] || { echo "must run as root" >&2; exit 1; }
[ -x "$USTACK" ] || { echo "no ustack at $USTACK (bazel build -c opt //tools:ustack)" >&2; exit 1; }
for t in iperf3 slirp4netns pasta python3; do
  command -v $t >/dev/null || { echo "needs $t" >&2; exit 1; }
done
gcc -O2 -o "$WORK/tcprr" "$BENCH_SRC/tcprr.c" || exit 1

ip netns add "$G" || exit 1
ip netns add "$H" || exit 1
for ns in "$G" "$H"; do
  ip netns exec "$ns" ip link set lo up
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
    net.ipv6.conf.default.disable_ipv6=1
  # CRR: no TIME-WAIT left from earlier runs (slirp4netns and pasta do not negotiate
  # timestamps, so tw_reuse cannot recycle ports; the rig's slirp_pasta.sh does the same).
  ip netns exec "$ns" sysctl -qw net.ipv4.tcp_tw_reuse=1 net.ipv4.ip_local_port_range="1024 65535" \
    net.ipv4.tcp_max_tw_buckets=0
  # Each connection starts from scratch: no ssthresh or RTT saved from an earlier run (or tool)
  # to the same address, which made every bulk run after the first slow.
  ip netns exec "$ns" sysctl -qw net.ipv4.tcp_no_metrics_save=1
done
# pasta needs a routable interface with a default route on the host side (it copies them): a
# veth pair inside sbh, 198.18.60.1/24 on one end, the default route via .254 (never used).
in_h ip link add sbv0 type veth peer name sbv1
in_h ip addr add "$HOSTIP/24" dev sbv0
in_h ip link set sbv1 up
in_h ip link set sbv0 up
in_h ip route add default via 198.18.60.254 dev sbv0
# ustack sandbox relays ping through unprivileged ICMP sockets; not measured here.
ip netns exec "$H" iperf3 -s -B 127.0.0.1 -p 5201 >"$WORK/iperf3h.log" 2>&1 &
PIDS+=($!)
ip netns exec "$H" "$WORK/tcprr" server -b 127.0.0.1 -p 5002 >"$WORK/tcprrh.log" 2>&1 &
PIDS+=($!)
ip netns exec "$G" iperf3 -s -p 5201 >"$WORK/iperf3g.log" 2>&1 &
PIDS+=($!)
ip netns exec "$G" "$WORK/tcprr" server -b 0.0.0.0 -p 5002 >"$WORK/tcprrg.log" 2>&1 &
PIDS+=($!)

# start_tool TOOL MTU: the tool as sbg's network, its forwards in place; waits until it works.
start_tool() {
  local tool=$1 mtu=$2 api="$WORK/slirp.sock"
  for _ in $(seq 50); do in_g ip link show tap0 >/dev/null 2>&1 || break; sleep 0.1; done
  : >"$WORK/tool.log"
  case $tool in
    slirp4netns)
      rm -f "$api"
      ip netns exec "$H" slirp4netns --configure --mtu="$mtu" --cidr=$NET.0/24 --disable-dns \
        --api-socket "$api" --netns-type=path "/run/netns/$G" tap0 >"$WORK/tool.log" 2>&1 &
      TOOL_PID=$!
      for _ in $(seq 50); do [ -S "$api" ] && break; sleep 0.1; done
      for p in 5201 5002; do
        python3 - "$api" $((p + 10000)) $p <<'EOF' >>"$WORK/tool.log" 2>&1
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(json.dumps({"execute": "add_hostfwd", "arguments": {"proto": "tcp",
    "host_port": int(sys.argv[2]), "guest_port": int(sys.argv[3])}}).encode())
s.shutdown(socket.SHUT_WR)
print(s.recv(4096).decode())
EOF
      done
      ;;
    pasta)
      # --runas 0: as root pasta otherwise drops to nobody and cannot join an `ip netns` namespace.
      ip netns exec "$H" pasta -f -q -4 --runas 0 --config-net -I tap0 -a $NET.100 -n 24 -g $NET.2 -m "$mtu" \
        -t 15201:5201,15002:5002 -u none -T none -U none --netns "$G" >"$WORK/tool.log" 2>&1 &
      TOOL_PID=$!
      ;;
    ustack | ustack_base)
      local bin=$USTACK args=${USTACK_ARGS:-}
      if [ "$tool" = ustack_base ]; then bin=${USTACK_BASE:-$USTACK} args=${USTACK_BASE_ARGS:-}; fi
      ip netns exec "$H" "$bin" sandbox --netns "$G" --cidr $NET.0/24 --mtu "$mtu" --disable-dns \
        --allow-host-loopback --publish 15201:5201 --publish 15002:5002 $args \
        >"$WORK/tool.log" 2>&1 &
      TOOL_PID=$!
      ;;
  esac
  for _ in $(seq 100); do
    in_g "$WORK/tcprr" rr -H $NET.2 -p 5002 -t 1 >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "$tool MTU $mtu did not come up:" >&2
  cat "$WORK/tool.log" >&2
  return 1
}
stop_tool() {
  stop_pid "$TOOL_PID"
  TOOL_PID=""
}

gbps() { awk '/receiver/ { for (i=1;i<=NF;i++) if ($i=="Gbits/sec") v=$(i-1) } END { print v }'; }
field() { grep -o "\b$1=[^ ]*" | tail -1 | cut -d= -f2; }

# measure TOOL MTU: one run of each figure, appended to $WORK/r.TOOL.MTU.FIGURE
measure() {
  local f="$WORK/r.$1.$2"
  in_g iperf3 -c $NET.2 -p 5201 -t "$DUR" -f g | gbps >>"$f.up"
  in_h iperf3 -c $HOSTIP -p 15201 -t "$DUR" -f g | gbps >>"$f.down"
  in_g "$WORK/tcprr" rr -H $NET.2 -p 5002 -t "$RRDUR" 2>&1 | field tps >>"$f.rr"
  in_g "$WORK/tcprr" crr -H $NET.2 -p 5002 -t "$RRDUR" 2>&1 | field tps >>"$f.crr"
  echo "  $1 MTU $2: up $(tail -1 "$f.up") down $(tail -1 "$f.down") rr $(tail -1 "$f.rr")" \
    "crr $(tail -1 "$f.crr")" >&2
}

echo "sandbox_compare: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$ROOT" rev-parse --short HEAD)," \
  "kernel $(uname -r), $(nproc) CPUs, REPS=$REPS DUR=${DUR}s RRDUR=${RRDUR}s" \
  "USTACK_ARGS='${USTACK_ARGS:-}' USTACK_BASE_ARGS='${USTACK_BASE_ARGS:-}', slirp4netns $(slirp4netns --version | awk 'NR==1{print $3}')," \
  "passt $(dpkg-query -W -f='${Version}' passt 2>/dev/null), load $(cut -d' ' -f1-3 /proc/loadavg)"
for rep in $(seq "$REPS"); do
  echo "repetition $rep (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  for mtu in $MTUS; do
    for tool in $TOOLS; do
      if start_tool "$tool" "$mtu"; then measure "$tool" "$mtu"; fi
      stop_tool
    done
  done
done
echo "load at the end $(cut -d' ' -f1-3 /proc/loadavg)"

# median FILE: "median min max" of the numbers in FILE ("- - -" if none).
median() {
  grep -E '^[0-9.]+$' "$1" 2>/dev/null | sort -g | awk '{v[NR]=$1} END {
    if (NR == 0) { print "- - -"; exit }
    printf "%s %s %s\n", (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2, v[1], v[NR] }'
}
names=(up down rr crr)
labels=("bulk ns -> host Gbit/s" "bulk host -> ns Gbit/s" "RR trans/s" "CRR conn/s")
base=""
[[ " $TOOLS " == *" ustack_base "* ]] && base=1
printf "| MTU | figure |"
for tool in $TOOLS; do printf " %s |" "$tool"; done
printf " ustack / slirp4netns | ustack / pasta | ustack / better |"
[ -n "$base" ] && printf " ustack / ustack_base |"
printf "\n|---|---|"
for tool in $TOOLS; do printf -- "---|"; done
printf -- "---|---|---|"
[ -n "$base" ] && printf -- "---|"
echo
for mtu in $MTUS; do
  for i in "${!names[@]}"; do
    printf "| %s | %s |" "$mtu" "${labels[$i]}"
    declare -A med=()
    for tool in $TOOLS; do
      read -r m lo hi < <(median "$WORK/r.$tool.$mtu.${names[$i]}")
      med[$tool]=$m
      if [ "$m" = - ]; then printf " failed |"; else printf " %s (%s–%s) |" "$m" "$lo" "$hi"; fi
    done
    awk -v u="${med[ustack]:--}" -v s="${med[slirp4netns]:--}" -v p="${med[pasta]:--}" \
      -v ub="${med[ustack_base]:--}" -v base="$base" '
      function ratio(a, b) { return (a != "-" && b != "-" && b > 0) ? sprintf("%.2f", a / b) : "-" }
      BEGIN {
        b = (s == "-") ? p : (p == "-" || s + 0 > p + 0) ? s : p
        printf " %s | %s | %s |", ratio(u, s), ratio(u, p), ratio(u, b)
        if (base) printf " %s |", ratio(u, ub)
        printf "\n" }'
    unset med
  done
done
