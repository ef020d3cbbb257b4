#!/bin/bash
# UDP datagram rate through ustack over a TUN, with the kernel talking to itself over a veth in
# the same run for reference. A benchmark, not a test: it asserts nothing and is not in any
# BUILD file's tests. Needs root and /dev/net/tun, gcc for the kernel-side tools.
#
#   tools/bench/udp_rate.sh                 # DUR=5 REPS=3 SIZES="64 1472"
#   USTACK=/usr/local/bin/ustack DUR=8 REPS=5 tools/bench/udp_rate.sh
#   USTACK_ARGS=--no-uso SIZES=1472 tools/bench/udp_rate.sh   # without UDP super-packets
#   UDP_SEGS=64 SIZES=1472 tools/bench/udp_rate.sh   # the kernel senders use UDP_SEGMENT
#
# Topology (names carry the pid; only 198.18.0.0/15; removed at exit, also on Ctrl-C):
#   netns ustbu<pid>:  TUN ubu<pid>  kernel 198.18.6.1/24  <->  ustack 198.18.6.2
#   netns ustbk<pid>a / ustbk<pid>b: veth, 198.18.7.1 <-> 198.18.7.2 (the kernel reference)
#
# For each payload size (UDP payload bytes; 1472 fills a 1500-byte MTU):
#   kernel -> ustack   /work/shared/bench's `udpblast` (sendmmsg, 64 per call) blasts DUR s at
#                      `ustack udp listen`; the rate is the datagrams ustack's UDP layer
#                      delivered (its counters, read before and after) over the blast's duration.
#                      The sender's own rate is shown too: the difference is what the TUN queue
#                      or ustack dropped. UDP_SEGS=N: each send is N datagrams in one buffer
#                      (udpblast -g, UDP_SEGMENT), which a TUN with USO (TUN_F_USO4) hands
#                      ustack as one super-packet; the veth reference sends the same way.
#   ustack -> kernel   `ustack udp send` sends COUNT datagrams as fast as it can to a kernel
#                      receiver (`udpsink`, recvmmsg) that counts them; the rate is the
#                      receiver's count over the time between its first and last datagram.
#   kernel -> kernel   udpblast -> udpsink over the veth, the same two programs.
# Each figure: median (min-max) of REPS runs, datagrams/s and Gbit/s of UDP payload.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# The optimized build: bazel-bin may point at a fastbuild output after any other build.
USTACK=${USTACK:-$ROOT/bazel-out/k8-opt/bin/tools/ustack}
BENCH_SRC=${BENCH_SRC:-/work/shared/bench/src}
DUR=${DUR:-5}
REPS=${REPS:-3}
SIZES=${SIZES:-"64 1472"}
UDP_SEGS=${UDP_SEGS:-0}
ID=$$
NS="ustbu$ID"
DEV="ubu$ID"
KNS_A="ustbk${ID}a"
KNS_B="ustbk${ID}b"
WORK=$(mktemp -d /tmp/udp_rate.XXXXXX)
PIDS=()

cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null
  done
  for n in "$NS" "$KNS_A" "$KNS_B"; do ip netns delete "$n" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
die() { echo "udp_rate: $*" >&2; exit 1; }
log() { echo "[$(date +%T)] $*" >&2; }

[ "$(id -u)" = 0 ] || die "needs root (network namespaces, TUN)"
[ -c /dev/net/tun ] || die "/dev/net/tun is missing"
[ -x "$USTACK" ] || die "no ustack at $USTACK (bazel build -c opt //tools:ustack)"
command -v gcc >/dev/null || die "gcc is needed for the kernel-side sender and receiver"

# --- kernel-side tools: the rig's sender, and a receiver that counts ---
gcc -O2 -pthread -o "$WORK/udpblast" "$BENCH_SRC/udpblast.c" || die "cannot build udpblast"
cat >"$WORK/udpsink.c" <<'C'
// udpsink -b ADDR -p PORT -i IDLE_S -m MAX_S: counts datagrams (recvmmsg, 64 per call) until
// IDLE_S without one after the first, or MAX_S in all. Prints
// "udpsink: recv=N bytes=B secs=S pps=R gbps=G" with S from the first to the last datagram.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}
int main(int argc, char **argv) {
  const char *addr = "0.0.0.0";
  int port = 9, opt;
  double idle = 1, max = 60;
  while ((opt = getopt(argc, argv, "b:p:i:m:")) != -1) {
    if (opt == 'b') addr = optarg;
    else if (opt == 'p') port = atoi(optarg);
    else if (opt == 'i') idle = atof(optarg);
    else if (opt == 'm') max = atof(optarg);
    else return 2;
  }
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  int sz = 32 << 20;
  setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, addr, &sa.sin_addr);
  if (bind(s, (struct sockaddr *)&sa, sizeof sa)) { perror("udpsink: bind"); return 1; }
  struct timeval tv = {0, 100000};
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  enum { B = 64 };
  static char bufs[B][2048];
  struct mmsghdr m[B];
  struct iovec iov[B];
  for (int i = 0; i < B; i++) {
    iov[i] = (struct iovec){bufs[i], sizeof bufs[i]};
    memset(&m[i], 0, sizeof m[i]);
    m[i].msg_hdr.msg_iov = &iov[i];
    m[i].msg_hdr.msg_iovlen = 1;
  }
  printf("udpsink: ready\n");
  fflush(stdout);
  unsigned long long n = 0, bytes = 0;
  double start = now(), first = 0, last = 0;
  for (;;) {
    int r = recvmmsg(s, m, B, MSG_WAITFORONE, NULL);
    double t = now();
    if (r > 0) {
      if (!n) first = t;
      last = t;
      n += r;
      for (int i = 0; i < r; i++) bytes += m[i].msg_len;
    }
    if ((n && t - last > idle) || t - start > max) break;
  }
  double secs = last > first ? last - first : 0;
  printf("udpsink: recv=%llu bytes=%llu secs=%.3f pps=%.0f gbps=%.3f\n", n, bytes, secs,
         secs ? n / secs : 0, secs ? bytes * 8 / secs / 1e9 : 0);
  return 0;
}
C
gcc -O2 -o "$WORK/udpsink" "$WORK/udpsink.c" || die "cannot build udpsink"

# blast_len SIZE: udpblast's length options: SIZE-byte datagrams, UDP_SEGS of them per send.
blast_len() {
  if [ "$UDP_SEGS" -gt 0 ]; then echo "-g $1 -l $(($1 * UDP_SEGS))"; else echo "-l $1"; fi
}
field() { grep -o "\b$1=[^ ]*" | tail -1 | cut -d= -f2; }
# stats LABEL SIZE V...: "LABEL  median datagrams/s (min-max, n)  Gbit/s of payload at the median"
stats() {
  local label=$1 size=$2
  shift 2
  printf '%s\n' "$@" | sort -g | awk -v l="$label" -v sz="$size" '
    {v[NR]=$1} END {m = NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2;
      printf "%-46s %10.0f datagrams/s (%.0f-%.0f, n=%d)  %7.3f Gbit/s\n", l, m, v[1], v[NR], NR,
        m * sz * 8 / 1e9}'
}

# --- the kernel reference: veth between two namespaces ---
ip netns add "$KNS_A" && ip netns add "$KNS_B" || die "cannot create namespaces"
ip link add "vbk${ID}a" netns "$KNS_A" type veth peer name "vbk${ID}b" netns "$KNS_B" ||
  die "cannot create the veth pair"
ip -n "$KNS_A" addr add 198.18.7.1/24 dev "vbk${ID}a"
ip -n "$KNS_B" addr add 198.18.7.2/24 dev "vbk${ID}b"
for n in "$KNS_A" "$KNS_B"; do ip -n "$n" link set lo up; done
ip -n "$KNS_A" link set "vbk${ID}a" up
ip -n "$KNS_B" link set "vbk${ID}b" up

# --- ustack on a TUN ---
ip netns add "$NS" || die "cannot create $NS"
ip -n "$NS" link set lo up
ip netns exec "$NS" ip tuntap add dev "$DEV" mode tun || die "cannot create $DEV"
ip -n "$NS" addr add 198.18.6.1/24 dev "$DEV"
ip -n "$NS" link set "$DEV" up
DEVOPTS=(--tun "$DEV" --netns "$NS" --no-create --addr 198.18.6.2/24 --mtu 1500)
# USTACK_ARGS: extra flags for both ustack commands (e.g. --no-uso, --no-offload).
read -r -a extra <<<"${USTACK_ARGS:-}"
DEVOPTS+=("${extra[@]}")

# ustack_listen: `ustack udp listen` on port 9 in the background (USTACK_PID). It prints a line
# per datagram: those go through grep to nowhere, the rest (ready line, counters) to listen.log.
ustack_listen() {
  : >"$WORK/listen.log"
  "$USTACK" udp listen "${DEVOPTS[@]}" --rcvbuf 33554432 9 \
    > >(grep --line-buffered -v '^from ' >"$WORK/listen.log") 2>&1 &
  USTACK_PID=$!
  PIDS+=("$USTACK_PID")
  for _ in $(seq 100); do
    grep -q ready "$WORK/listen.log" && return 0
    kill -0 "$USTACK_PID" 2>/dev/null || die "ustack udp listen exited: $(cat "$WORK/listen.log")"
    sleep 0.1
  done
  die "ustack udp listen not ready: $(cat "$WORK/listen.log")"
}
# tun_tx_dropped: packets the kernel dropped because ustack did not read the TUN fast enough.
tun_tx_dropped() {
  ip -n "$NS" -s -s link show dev "$DEV" | awk '/TX:/ {getline; print $4; exit}'
}
# ustack_received: datagrams the listener got so far (SIGUSR1 prints the counters).
ustack_received() {
  local before
  before=$(grep -c "end of counters" "$WORK/listen.log")
  kill -USR1 "$USTACK_PID"
  for _ in $(seq 50); do
    [ "$(grep -c "end of counters" "$WORK/listen.log")" -gt "$before" ] && break
    sleep 0.05
  done
  awk '/counters.*:$/{buf=""} {buf=buf $0 "\n"} /end of counters/{last=buf}
       END{printf "%s", last}' "$WORK/listen.log" |
    awk '/^Udp:$/ {u=1; next} /^[A-Za-z].*:$/ {u=0} u && $2=="in_datagrams" {v=$1} END {print v+0}'
}

echo "udp_rate: $(date -u '+%F %H:%M UTC'), commit $(git -C "$ROOT" rev-parse --short HEAD)," \
  "kernel $(uname -r), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))," \
  "DUR=$DUR REPS=$REPS UDP_SEGS=$UDP_SEGS USTACK_ARGS=${USTACK_ARGS:-}"
for size in $SIZES; do
  # kernel -> kernel (veth)
  kk=()
  sent=()
  for i in $(seq "$REPS"); do
    ip netns exec "$KNS_B" "$WORK/udpsink" -b 198.18.7.2 -p 9 -i 1 -m $((DUR + 10)) \
      >"$WORK/sink.log" 2>&1 &
    sink=$!
    PIDS+=("$sink")
    for _ in $(seq 50); do grep -q ready "$WORK/sink.log" && break; sleep 0.05; done
    out=$(ip netns exec "$KNS_A" "$WORK/udpblast" -H 198.18.7.2 -p 9 $(blast_len "$size") -t "$DUR")
    wait "$sink"
    kk+=("$(field pps <"$WORK/sink.log")")
    sent+=("$(echo "$out" | field pps)")
    log "veth $size B run $i: sent $(echo "$out" | field pps)/s, received $(field pps <"$WORK/sink.log")/s"
  done
  stats "kernel -> kernel (veth), $size B, received" "$size" "${kk[@]}"
  stats "kernel -> kernel (veth), $size B, sent" "$size" "${sent[@]}"

  # kernel -> ustack
  ustack_listen
  ku=()
  sent=()
  for i in $(seq "$REPS"); do
    before=$(ustack_received)
    drops_before=$(tun_tx_dropped)
    out=$(ip netns exec "$NS" "$WORK/udpblast" -H 198.18.6.2 -p 9 $(blast_len "$size") -t "$DUR")
    sleep 0.5  # the TUN queue drains
    after=$(ustack_received)
    secs=$(echo "$out" | field secs)
    ku+=("$(awk -v a="$after" -v b="$before" -v s="$secs" 'BEGIN {printf "%.0f", (a - b) / s}')")
    sent+=("$(echo "$out" | field pps)")
    log "kernel->ustack $size B run $i: sent $(echo "$out" | field pps)/s, ustack received" \
      "$((after - before)) in ${secs}s; the TUN queue dropped $(($(tun_tx_dropped) - drops_before))"
  done
  kill -INT "$USTACK_PID"
  wait "$USTACK_PID"
  stats "kernel -> ustack, $size B, received by ustack" "$size" "${ku[@]}"
  stats "kernel -> ustack, $size B, sent by udpblast" "$size" "${sent[@]}"

  # ustack -> kernel
  uk=()
  for i in $(seq "$REPS"); do
    ip netns exec "$NS" "$WORK/udpsink" -b 198.18.6.1 -p 9 -i 1 -m $((DUR + 30)) \
      >"$WORK/sink.log" 2>&1 &
    sink=$!
    PIDS+=("$sink")
    for _ in $(seq 50); do grep -q ready "$WORK/sink.log" && break; sleep 0.05; done
    # COUNT: about DUR seconds at the rate the kernel reference reached, at least 100000.
    # (`ustack udp send` takes at most 1000000.)
    count=$(awk -v p="${kk[0]}" -v d="$DUR" 'BEGIN {c = p * d; c = c < 100000 ? 100000 : c;
      print (c > 1000000 ? 1000000 : int(c))}')
    "$USTACK" udp send "${DEVOPTS[@]}" -w 0 --size "$size" --count "$count" 198.18.6.1 9 \
      >"$WORK/send.log" 2>&1 || log "ustack udp send failed: $(tail -3 "$WORK/send.log")"
    wait "$sink"
    uk+=("$(field pps <"$WORK/sink.log")")
    log "ustack->kernel $size B run $i: $(cat "$WORK/sink.log" | tail -1) (sent $count)"
  done
  stats "ustack -> kernel, $size B, received by kernel" "$size" "${uk[@]}"
done
