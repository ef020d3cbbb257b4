#!/bin/bash
# ServeWithTwoQueuesAnswersEveryFlow: `ustack serve --queues 2` (IFF_MULTI_QUEUE, a stack shard
# per queue and thread) against 8 parallel kernel clients each way: every download and upload
# byte-exact, ping answered over both families, both shards carried connections (per-shard
# counters), no shard reset a flow it did not own (a flow the kernel steered to a shard without
# its connection would meet rsts_no_socket). Then 8 echo flows with an idle gap longer than the
# kernel's flow-table expiry (TUN_FLOW_EXPIRE, 3 s): every flow byte-exact after it.
# UstackConnectionsIdleThenKernelSpeaksFirst: 6 `ustack connect --queues 4` at once (each on a
# multi-queue device of its own) to a kernel server that pauses 5 s mid-response: the kernel
# forgets the flow's queue and steers the rest by hash, to any of the 4 shards; the shard there
# hands it to shard 0 (tun/shard_router.h), so every download is byte-exact, none is reset, and
# the shards 1..3 captures hold no segment (handoffs happen below the capture).
# UdpListenAndEchoWithTwoQueues: `udp echo` and `udp listen` (one socket, on shard 0) answer 16
# kernel flows each. `ustack ping --queues 2` gets every reply.
# FragmentedDatagramsWithTwoQueues: `udp echo --queues 2` (one socket, on shard 0) answers 16
# flows per family (2 sockets from each of 8 kernel addresses) of datagrams of 2.6-4 KB,
# which the kernel fragments at MTU 1500 and hashes by addresses alone to either queue: every
# datagram answered exactly once, byte-exact; fragments met on their reassembly shard and
# reassembled datagrams went on to shard 0 (tun/shard_router.h).
source "$(dirname "$0")/lib.sh"
setup_ns
start_serve --queues 2 http:8080 bulk:5001 discard:9 echo:7
grep -q "queues 2" "$USTACK_LOG" || die "the ready line does not say 'queues 2'"

N=8388608
WANT=$(generated_sha256 $N)
pids=()
for i in $(seq 8); do
  host=198.18.0.2
  [ $((i % 4)) = 0 ] && host="[fd00:1::2]"
  in_ns curl -s -g -o "$WORK/dl$i" "http://$host:8080/bytes/$N" &
  pids+=($!)
done
for i in $(seq 8); do
  head -c $N /dev/urandom >"$WORK/up$i"
  { printf S; cat "$WORK/up$i"; } | in_ns nc -N -w 60 198.18.0.2 5001 |
    od -An -t u8 | tr -d ' ' >"$WORK/count$i" &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
ok_dl=0 ok_up=0
for i in $(seq 8); do
  [ "$(sha256sum <"$WORK/dl$i" | cut -d' ' -f1)" = "$WANT" ] && ok_dl=$((ok_dl + 1))
  [ "$(cat "$WORK/count$i")" = "$N" ] && ok_up=$((ok_up + 1))
done
check "8 parallel curl downloads of 8 MiB, SHA-256 equal ($ok_dl of 8)" test $ok_dl = 8
check "8 parallel nc uploads of 8 MiB, counted exactly ($ok_up of 8)" test $ok_up = 8

# ping: each run is a flow of its own (ICMP identifier), steered to either queue.
pings=0
for _ in 1 2 3; do
  in_ns ping -c 3 -i 0.2 -W 2 198.18.0.2 >/dev/null && pings=$((pings + 1))
  in_ns ping -6 -c 3 -i 0.2 -W 2 fd00:1::2 >/dev/null && pings=$((pings + 1))
done
check "ping and ping -6 answered ($pings of 6 runs)" test $pings = 6

# 8 echo flows both ways, then 5 s of silence (TUN_FLOW_EXPIRE is 3 s; the kernel's cleanup
# timer runs at whole seconds), then 64 KiB more on every flow.
not() { ! "$@"; }
PEERS=(/usr/bin/python3 "$(dirname "$0")/multiqueue_peers.py")
idle=$(in_ns "${PEERS[@]}" echo-idle 198.18.0.2 7 8 5 2>&1)
check "8 echo flows byte-exact across a 5 s idle gap ($idle)" test "$idle" = "ok 8"

c=$(dump_counters)
echo "$c" | sed -n '/^Shard 0:/,$p'
s0=$(echo "$c" | counter "Shard 0" passive_opens)
s1=$(echo "$c" | counter "Shard 1" passive_opens)
total=$(echo "$c" | counter Tcp passive_opens)
check "shard 0 accepted connections ($s0)" test "$s0" -gt 0
check "shard 1 accepted connections ($s1)" test "$s1" -gt 0
check "the summed Tcp counters are the shards' ($total = $s0 + $s1)" test "$total" = $((s0 + s1))
# Each flow opened once, by one shard: 8 + 8 + 8 connections, as many passive opens.
check "24 connections accepted in all (Services accepted)" \
  test "$(echo "$c" | counter Services accepted)" = 24
check "24 passive opens summed over the shards ($total)" test "$total" = 24
check "no shard reset a flow it did not own (rsts_no_socket)" \
  test "$(echo "$c" | counter Tcp rsts_no_socket)" = 0
check "no connection failed" test "$(echo "$c" | counter Services connection_failed)" = 0
stop_ustack INT
check "serve exits 0 after SIGINT" test "$USTACK_RC" = 0
check "exit counters printed once, summed over the shards" \
  test "$(grep -c '^Shard 1:' "$USTACK_LOG")" -ge 2

# UstackConnectionsIdleThenKernelSpeaksFirst: 6 ustack connect --queues 4 at once, each on a
# multi-queue device the test made (--no-create), 198.18.(10+i).0/24.
mkdir -p "$WORK/srv"
head -c 1000000 /dev/urandom >"$WORK/srv/file"
FILE_SHA=$(sha256sum <"$WORK/srv/file" | cut -d' ' -f1)
bg_ns "${PEERS[@]}" idle-server 8000 "$WORK/srv/file" 5 >"$WORK/server.log" 2>&1
wait_listen 8000
K=6
cpids=()
for i in $(seq $K); do
  dev="usmq${i}${ID}"
  in_ns ip tuntap add dev "$dev" mode tun multi_queue || die "cannot create $dev"
  in_ns ip addr add "198.18.$((10 + i)).1/24" dev "$dev"
  in_ns ip link set "$dev" up
  echo go | "$USTACK" connect --tun "$dev" --netns "$NS" --no-create \
    --addr "198.18.$((10 + i)).2/24" --queues 4 --pcap "$WORK/c$i.pcap" -v \
    "198.18.$((10 + i)).1" 8000 >"$WORK/resp$i" 2>"$WORK/connect$i.err" &
  cpids+=($!)
  PIDS+=($!)
done
good=0 exits=0 handoffs=0 stray=0
for i in $(seq $K); do
  wait "${cpids[$((i - 1))]}" && exits=$((exits + 1))
  [ "$(sha256sum <"$WORK/resp$i" | cut -d' ' -f1)" = "$FILE_SHA" ] && good=$((good + 1))
  h=$(sed -n 's/^ustack connect: \([0-9]*\) packets handed.*/\1/p' "$WORK/connect$i.err")
  handoffs=$((handoffs + ${h:-0}))
  n=0
  for q in 1 2 3; do
    n=$((n + $(tcpdump -r "$WORK/c$i.pcap.$q" -nn tcp 2>/dev/null | wc -l)))
  done
  stray=$((stray + n))
  echo "  connect $i: body $(cmp -s "$WORK/resp$i" "$WORK/srv/file" && echo ok || echo BAD)," \
    "${h:-?} packets handed to shard 0, $n TCP packets in the captures of shards 1..3"
done
check "$K ustack connect --queues 4 exit 0 ($exits)" test $exits = $K
check "$K downloads with a 5 s pause byte-exact ($good)" test $good = $K
check "the server finished every connection, none reset ($(grep -c '^done' "$WORK/server.log"))" \
  test "$(grep -c '^done' "$WORK/server.log")" = $K
check "no server error ($(grep -m1 error "$WORK/server.log"))" not grep -q error "$WORK/server.log"
# 4 queues, 6 flows: all six hashed to queue 0 with probability 4^-6.
check "the kernel steered resumed flows to other shards, which handed them over ($handoffs)" \
  test "$handoffs" -gt 0
check "no segment of ustack's own connections reached the stack of shards 1..3 ($stray)" \
  test $stray = 0
MQ_DEV="usmq1${ID}"
# ustack ping --queues 2: echo requests are primed too, so every reply reaches shard 0's socket.
"$USTACK" ping --tun "$MQ_DEV" --netns "$NS" --no-create --addr 198.18.11.2/24 --queues 4 \
  -c 5 -i 0.2 198.18.11.1 >"$WORK/ping" 2>&1
check "ustack ping --queues 4: 5 of 5 replies ($(grep -o '[0-9]* received' "$WORK/ping"))" \
  grep -q " 5 received" "$WORK/ping"

# UdpListenAndEchoWithTwoQueues: one socket on shard 0; datagrams of 16 kernel flows (source
# ports), half of them steered to shard 1's queue, all reach it.
launch_sv udp echo -- --queues 2 7
echoed=$(in_ns "${PEERS[@]}" udp-flows 198.18.0.2 7 16 1)
check "udp echo --queues 2 answered 16 flows ($echoed)" test "$echoed" = 16
c=$(dump_counters)
check "udp echo: datagrams handed from shard 1 to shard 0 ($(echo "$c" | counter Device shard_handoffs))" \
  test "$(echo "$c" | counter Device shard_handoffs)" -gt 0
check "udp echo: no port unreachable ($(echo "$c" | counter Udp no_ports))" \
  test "$(echo "$c" | counter Udp no_ports)" = 0
stop_ustack INT
launch_sv udp listen -- --queues 2 --count 16 9300
in_ns "${PEERS[@]}" udp-flows 198.18.0.2 9300 16 0
for _ in $(seq 30); do
  [ "$(grep -c '^from ' "$USTACK_LOG")" -ge 16 ] && break
  sleep 0.1
done
check "udp listen --queues 2 printed 16 flows' datagrams ($(grep -c '^from ' "$USTACK_LOG"))" \
  test "$(grep -c '^from ' "$USTACK_LOG")" = 16
wait "$USTACK_PID"
check "udp listen --count 16 exits 0" test $? = 0

# FragmentedDatagramsWithTwoQueues: 8 more kernel addresses per family spread the fragments'
# address hash over both queues.
launch_sv udp echo -- --queues 2 7
src4=198.18.0.1 src6=fd00:1::1
for i in $(seq 11 17); do
  in_ns ip addr add "198.18.0.$i/24" dev "$SV_DEV"
  in_ns ip addr add "fd00:1::$i/64" dev "$SV_DEV" nodad
  src4="$src4,198.18.0.$i"
  src6="$src6,fd00:1::$i"
done
frag4=$(in_ns "${PEERS[@]}" udp-frag 198.18.0.2 7 "$src4" 4 4000)
check "udp echo --queues 2: fragmented IPv4 datagrams each answered once ($frag4)" \
  test "$frag4" = "ok 64 dup 0 bad 0 of 64"
frag6=$(in_ns "${PEERS[@]}" udp-frag fd00:1::2 7 "$src6" 4 4000)
check "udp echo --queues 2: fragmented IPv6 datagrams each answered once ($frag6)" \
  test "$frag6" = "ok 64 dup 0 bad 0 of 64"
c=$(dump_counters)
echo "$c" | grep -E "shard_|reasm"
fh=$(echo "$c" | counter Device shard_fragment_handoffs)
rh=$(echo "$c" | counter Device shard_reassembled_handoffs)
check "fragments handed to their reassembly shard ($fh)" test "$fh" -gt 0
check "reassembled datagrams handed to the socket's shard ($rh)" test "$rh" -gt 0
check "udp echo: no port unreachable ($(echo "$c" | counter Udp no_ports))" \
  test "$(echo "$c" | counter Udp no_ports)" = 0
stop_ustack INT
finish
