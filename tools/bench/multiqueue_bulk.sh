#!/bin/bash
# Aggregate bulk throughput of P parallel streams against `ustack serve --queues Q`, for each Q
# in QUEUES, both directions. A benchmark, not a test: it asserts nothing and is in no BUILD
# file's tests (the rig's peer_compare.sh has no multi-stream mode). Needs root, /dev/net/tun
# and gcc (the rig's `bulk` client, /work/shared/bench/src/bulk.c, built into a temp dir).
#
#   tools/bench/multiqueue_bulk.sh               # P=4 DUR=8 REPS=3 QUEUES="1 2" MTU=1500
#   USTACK_ARGS=--no-offload P=8 tools/bench/multiqueue_bulk.sh
#
# Topology (names carry the pid; only 198.18.0.0/15; removed at exit, also on Ctrl-C):
#   netns ustmq<pid>: TUN umq<pid> (multi_queue when Q > 1), kernel 198.18.8.1/24 <-> ustack
#   198.18.8.2
# Each run starts a fresh `ustack serve --queues Q bulk:5001` and P `bulk client`s at once
# ('S': kernel -> ustack; '-R': ustack -> kernel, DUR s each); the figure is the sum of the
# clients' Gbit/s. Then the per-shard passive opens (the kernel's spread of the P flows).
# Each figure: median (min-max) of REPS runs.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
USTACK=${USTACK:-$ROOT/bazel-out/k8-opt/bin/tools/ustack}
BENCH_SRC=${BENCH_SRC:-/work/shared/bench/src}
P=${P:-4}
DUR=${DUR:-8}
REPS=${REPS:-3}
QUEUES=${QUEUES:-"1 2"}
MTU=${MTU:-1500}
ID=$$
NS="ustmq$ID"
DEV="umq$ID"
WORK=$(mktemp -d /tmp/mq_bulk.XXXXXX)
SV_PID=""

cleanup() {
  [ -n "$SV_PID" ] && kill -INT "$SV_PID" 2>/dev/null && wait "$SV_PID" 2>/dev/null
  ip netns delete "$NS" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ -x "$USTACK" ] || { echo "no ustack at $USTACK (bazel build -c opt //tools:ustack)" >&2; exit 1; }
gcc -O2 -pthread -o "$WORK/bulk" "$BENCH_SRC/bulk.c" || exit 1
ip netns add "$NS" || exit 1
ip netns exec "$NS" ip link set lo up

# make_dev Q: the device for Q queues (a multi_queue device takes only IFF_MULTI_QUEUE opens).
make_dev() {
  ip netns exec "$NS" ip link del "$DEV" 2>/dev/null
  local mq=""
  [ "$1" -gt 1 ] && mq=multi_queue
  ip netns exec "$NS" ip tuntap add dev "$DEV" mode tun $mq || exit 1
  ip netns exec "$NS" ip link set "$DEV" mtu "$MTU"
  ip netns exec "$NS" ip addr add 198.18.8.1/24 dev "$DEV"
  ip netns exec "$NS" ip link set "$DEV" up
}

# run Q DIR: one run, prints the summed Gbit/s (DIR: S or R).
run() {
  "$USTACK" serve --tun "$DEV" --netns "$NS" --no-create --addr 198.18.8.2/24 --queues "$1" \
    --seed 1 ${USTACK_ARGS:-} bulk:5001 >"$WORK/sv.log" 2>&1 &
  SV_PID=$!
  for _ in $(seq 100); do grep -q ready "$WORK/sv.log" && break; sleep 0.1; done
  local flag=""
  [ "$2" = R ] && flag=-R
  local pids=() i
  for i in $(seq "$P"); do
    ip netns exec "$NS" "$WORK/bulk" client -H 198.18.8.2 -p 5001 -t "$DUR" $flag >"$WORK/c$i" &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i"; done
  kill -INT "$SV_PID"
  wait "$SV_PID"
  SV_PID=""
  local spread
  spread=$(awk '/^Shard [0-9]+:$/{s=$2} s!="" && $2=="passive_opens"{printf "%s%s", sep, $1; sep="/"}' \
    "$WORK/sv.log")
  cat "$WORK"/c* | awk -v spread="${spread:-$P}" \
    '{for(i=1;i<=NF;i++) if ($i ~ /^gbps=/) {sub("gbps=","",$i); t+=$i}} END {printf "%.2f %s\n", t, spread}'
  rm -f "$WORK"/c*
}

stats() {  # median (min-max) of the numbers on stdin
  sort -n | awk '{v[NR]=$1} END {m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2;
    printf "%.2f (%.2f-%.2f)", m, v[1], v[NR]}'
}

echo "multiqueue_bulk: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$ROOT" rev-parse --short HEAD)," \
  "P=$P DUR=$DUR REPS=$REPS MTU=$MTU USTACK_ARGS='${USTACK_ARGS:-}', load $(cut -d' ' -f1-3 /proc/loadavg)"
for q in $QUEUES; do
  make_dev "$q"
  for dir in S R; do
    : >"$WORK/res"
    spreads=""
    for _ in $(seq "$REPS"); do
      read -r g s < <(run "$q" "$dir")
      echo "$g" >>"$WORK/res"
      spreads="$spreads $s"
    done
    name=$([ $dir = S ] && echo "kernel -> ustack" || echo "ustack -> kernel")
    printf "queues %s  %-17s %s Gbit/s   flows per shard:%s\n" "$q" "$name" \
      "$(stats <"$WORK/res")" "$spreads"
  done
done
