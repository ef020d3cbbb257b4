#!/bin/bash
# ServeWithTwoQueuesAnswersEveryFlow: `ustack serve --queues 2` (IFF_MULTI_QUEUE, a stack shard
# per queue and thread) against 8 parallel kernel clients each way: every download and upload
# byte-exact, ping answered over both families, both shards carried connections (per-shard
# counters), no shard reset a flow it did not own (a flow the kernel steered to a shard without
# its connection would meet rsts_no_socket). Then `ustack connect --queues 2`: the connection it
# opens from shard 0 gets all its answers on queue 0 (the SYN is primed, tun/flow_prime.h), so
# shard 1's capture holds none of its segments; `ustack ping --queues 2` gets every reply.
source "$(dirname "$0")/lib.sh"
setup_ns
start_serve --queues 2 http:8080 bulk:5001 discard:9
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

c=$(dump_counters)
echo "$c" | sed -n '/^Shard 0:/,$p'
s0=$(echo "$c" | counter "Shard 0" passive_opens)
s1=$(echo "$c" | counter "Shard 1" passive_opens)
total=$(echo "$c" | counter Tcp passive_opens)
check "shard 0 accepted connections ($s0)" test "$s0" -gt 0
check "shard 1 accepted connections ($s1)" test "$s1" -gt 0
check "the summed Tcp counters are the shards' ($total = $s0 + $s1)" test "$total" = $((s0 + s1))
check "16 connections accepted in all (Services accepted)" \
  test "$(echo "$c" | counter Services accepted)" = 16
check "no shard reset a flow it did not own (rsts_no_socket)" \
  test "$(echo "$c" | counter Tcp rsts_no_socket)" = 0
check "no connection failed" test "$(echo "$c" | counter Services connection_failed)" = 0
stop_ustack INT
check "serve exits 0 after SIGINT" test "$USTACK_RC" = 0
check "exit counters printed once, summed over the shards" \
  test "$(grep -c '^Shard 1:' "$USTACK_LOG")" -ge 2

# ustack connect --queues 2 on a multi-queue device the test made (--no-create).
MQ_DEV="usmq${ID}"
in_ns ip tuntap add dev "$MQ_DEV" mode tun multi_queue || die "cannot create $MQ_DEV"
in_ns ip addr add 198.18.2.1/24 dev "$MQ_DEV"
in_ns ip link set "$MQ_DEV" up
mkdir -p "$WORK/srv"
head -c 1000000 /dev/urandom >"$WORK/srv/file"
FILE_SHA=$(sha256sum <"$WORK/srv/file" | cut -d' ' -f1)
bg_ns python3 -m http.server 8000 --bind 198.18.2.1 --directory "$WORK/srv"
wait_listen 8000
good=0 stray=0
for i in $(seq 6); do
  rm -f "$WORK/c.pcap".*
  printf 'GET /file HTTP/1.0\r\nHost: ustack\r\n\r\n' |
    "$USTACK" connect --tun "$MQ_DEV" --netns "$NS" --no-create --addr 198.18.2.2/24 \
      --queues 2 --pcap "$WORK/c.pcap" 198.18.2.1 8000 >"$WORK/resp" 2>"$WORK/connect.err"
  body_sha=$(/usr/bin/python3 -c '
import hashlib, sys
head, _, body = open(sys.argv[1], "rb").read().partition(b"\r\n\r\n")
print(hashlib.sha256(body).hexdigest())' "$WORK/resp")
  [ "$body_sha" = "$FILE_SHA" ] && good=$((good + 1))
  n1=$(tcpdump -r "$WORK/c.pcap.1" -nn tcp 2>/dev/null | wc -l)
  stray=$((stray + n1))
  echo "  connect $i: body $([ "$body_sha" = "$FILE_SHA" ] && echo ok || echo BAD)," \
    "$(tcpdump -r "$WORK/c.pcap.0" -nn tcp 2>/dev/null | wc -l) TCP packets on queue 0, $n1 on 1"
done
check "6 ustack connect --queues 2 downloads byte-exact ($good)" test $good = 6
# ustack ping --queues 2: echo requests are primed too, so every reply reaches shard 0's socket.
"$USTACK" ping --tun "$MQ_DEV" --netns "$NS" --no-create --addr 198.18.2.2/24 --queues 2 \
  -c 5 -i 0.2 198.18.2.1 >"$WORK/ping" 2>&1
check "ustack ping --queues 2: 5 of 5 replies ($(grep -o '[0-9]* received' "$WORK/ping"))" \
  grep -q " 5 received" "$WORK/ping"
check "no segment of ustack's own connections reached shard 1 ($stray)" test $stray = 0
finish
