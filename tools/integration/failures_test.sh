#!/bin/bash
# Connection failures against the real kernel, as `ustack connect` / `ustack serve` see them:
#   KernelClosedPortRefuses        connect to a port with no listener -> "connection refused"
#   KernelKilledMidTransferResets  kernel socket dies with unread data -> "connection reset by
#                                  peer" (client side), connection_failed (server side)
#   KernelDroppingRepliesTimesOut  the kernel's replies go to a blackhole route -> SYN retries
#                                  run out -> "connection timed out"; -w gives up sooner
#   KeepaliveProbesIdleKernelPeer  --keepalive 1,1,5 on an idle connection: probes and the
#                                  kernel's ACKs seen by tcpdump, dissected by tshark
source "$(dirname "$0")/lib.sh"
setup_ns
start_serve http:8080

# --- refused ---
err=$("${CONNECT[@]}" 198.18.1.1 9 </dev/null 2>&1 >/dev/null)
rc=$?
check "closed kernel port: exit 1, '$err'" \
  test "$rc/$err" = "1/ustack connect: 198.18.1.1:9: connection refused"
err=$("${CONNECT[@]}" fd00:2::1 9 </dev/null 2>&1 >/dev/null)
rc=$?
check "closed kernel port over IPv6: exit 1, '$err'" \
  test "$rc/$err" = "1/ustack connect: [fd00:2::1]:9: connection refused"

# --- reset, ustack as the client: a kernel server that never reads is killed ---
bg_ns /usr/bin/python3 -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 7100)); s.listen(1); c, _ = s.accept(); time.sleep(60)'
sink_pid=$BG_PID
wait_listen 7100
"${CONNECT[@]}" 198.18.1.1 7100 </dev/zero >/dev/null 2>"$WORK/reset.err" &
conn_pid=$!
PIDS+=("$conn_pid")
sleep 1.5  # the kernel's receive buffer fills up
kill -KILL "$sink_pid"
for _ in $(seq 100); do kill -0 "$conn_pid" 2>/dev/null || break; sleep 0.1; done
wait "$conn_pid"
rc=$?
check "kernel socket killed mid-transfer: exit 1, '$(cat "$WORK/reset.err")'" \
  test "$rc/$(cat "$WORK/reset.err")" = "1/ustack connect: 198.18.1.1:7100: connection reset by peer"

# --- reset, ustack as the server: curl killed while downloading 1 GiB ---
bg_ns curl -sS --limit-rate 2M -o /dev/null http://198.18.0.2:8080/bytes/1073741824
curl_pid=$BG_PID
sleep 1.5
kill -KILL "$curl_pid"
for _ in $(seq 30); do grep -q "http:8080 .*: reset" "$USTACK_LOG" && break; sleep 0.1; done
check "ustack serve logs the reset from the killed curl" grep -q "http:8080 198.18.0.1:.*: reset" "$USTACK_LOG"
c=$(dump_counters)
check "ustack serve counts one failed connection" \
  test "$(echo "$c" | counter Services connection_failed)" = 1

# --- timeout: the kernel receives our SYNs but its replies are dropped ---
# What is checked is what crosses the wire (tcpdump on the kernel side), not how long it took:
# the RTO schedule itself is pinned in virtual time by //stack/tcp:retransmit_test.
in_ns ip route add blackhole 198.18.1.2/32
ip netns exec "$NS" tcpdump -i "$CN_DEV" -n -U -w "$WORK/syn.pcap" \
  "tcp dst port 8000 and tcp[tcpflags] & tcp-syn != 0" 2>"$WORK/syn-tcpdump.err" &
syn_dump_pid=$!
PIDS+=("$syn_dump_pid")
for _ in $(seq 50); do grep -q "listening on" "$WORK/syn-tcpdump.err" && break; sleep 0.1; done
err=$("${CONNECT[@]}" --syn-retries 1 198.18.1.1 8000 </dev/null 2>&1 >/dev/null)
rc=$?
sleep 0.3
kill -INT "$syn_dump_pid"
wait "$syn_dump_pid"
syns=$(tshark -r "$WORK/syn.pcap" -Y "ip.src == 198.18.1.2" 2>/dev/null | wc -l)
check "blackholed replies, 1 SYN retry: exit 1, '$err'" \
  test "$rc/$err" = "1/ustack connect: 198.18.1.1:8000: connection timed out"
check "  ... after exactly two SYNs on the wire, the first and one retransmission ($syns)" \
  test "$syns" = 2
err=$("${CONNECT[@]}" -w 1 198.18.1.1 8000 </dev/null 2>&1 >/dev/null)
rc=$?
check "blackholed replies, -w 1: exit 1, '$err'" \
  test "$rc/$err" = "1/ustack connect: 198.18.1.1:8000: connection timed out"
in_ns ip route del blackhole 198.18.1.2/32

# --- keepalive probes against an idle kernel peer ---
bg_ns /usr/bin/python3 -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 7200)); s.listen(1); c, _ = s.accept(); time.sleep(4.5); c.close()'
wait_listen 7200
ip netns exec "$NS" tcpdump -i "$CN_DEV" -n -U -w "$WORK/ka.pcap" tcp port 7200 2>"$WORK/tcpdump.err" &
dump_pid=$!
PIDS+=("$dump_pid")
for _ in $(seq 50); do grep -q "listening on" "$WORK/tcpdump.err" && break; sleep 0.1; done
sleep 10 | "${CONNECT[@]}" --keepalive 1,1,5 198.18.1.1 7200 >/dev/null 2>"$WORK/ka.err"
rc=$?
check "idle connection with keepalive ends cleanly when the kernel closes (rc $rc)" test $rc = 0
sleep 0.3
kill -INT "$dump_pid"
wait "$dump_pid"
probes=$(tshark -r "$WORK/ka.pcap" -Y "tcp.analysis.keep_alive && ip.src == 198.18.1.2" 2>/dev/null | wc -l)
acks=$(tshark -r "$WORK/ka.pcap" -Y "tcp.analysis.keep_alive_ack && ip.src == 198.18.1.1" 2>/dev/null | wc -l)
check "tcpdump shows ustack's keepalive probes ($probes) and the kernel's ACKs ($acks)" \
  test "$probes" -ge 3 -a "$acks" -ge 3
finish
