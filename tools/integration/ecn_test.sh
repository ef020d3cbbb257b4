#!/bin/bash
# KernelNegotiatesEcnWithUstackServe / UstackConnectNegotiatesEcnWithKernelNc: ECN (RFC 3168
# §6.1) against Linux over TUN. The namespace's kernel asks for ECN (net.ipv4.tcp_ecn=1, a
# per-namespace sysctl): `ustack serve` (default: accept when asked) answers its SYN with an
# ECN-setup SYN-ACK, seen by tcpdump in the namespace; `ustack connect --ecn` asks the kernel,
# seen in ustack's own --pcap and printed by `ustack dump` as tcpdump does. In both captures
# every new data segment of both sides is ECT(0), ACKs and retransmissions are Not-ECT
# (ecn_check.py).
source "$(dirname "$0")/lib.sh"
CHECK="$(dirname "$0")/ecn_check.py"
setup_ns
in_ns sysctl -qw net.ipv4.tcp_ecn=1 || die "cannot set net.ipv4.tcp_ecn in $NS"
head -c 300000 /dev/urandom >"$WORK/data"

# --- The kernel connects to `ustack serve` ---------------------------------------------------
start_serve echo:5002
bg_ns tcpdump -i "$SV_DEV" -n -U -w "$WORK/serve.pcap" tcp port 5002 2>"$WORK/tcpdump.err"
TCPDUMP_PID=$BG_PID
for _ in $(seq 50); do grep -q "listening on" "$WORK/tcpdump.err" && break; sleep 0.1; done
out=$(in_ns /usr/bin/python3 - "$WORK/data" <<'PY'
import socket, sys, threading
data = open(sys.argv[1], "rb").read()
s = socket.create_connection(("198.18.0.2", 5002), timeout=10)
t = threading.Thread(target=lambda: (s.sendall(data), s.shutdown(socket.SHUT_WR)))
t.start()
got = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    got += b
t.join()
s.close()
print("echoed" if got == data else "different (%d bytes)" % len(got))
PY
)
check "the kernel's 300 kB come back from ustack's echo service ($out)" test "$out" = echoed
sleep 0.5
kill -INT "$TCPDUMP_PID"
wait "$TCPDUMP_PID"
echo "  kernel -> ustack serve, tcpdump in the namespace:"
check "kernel asks, ustack accepts; new data ECT(0) both ways, ACKs Not-ECT" \
  /usr/bin/python3 "$CHECK" "$WORK/serve.pcap" 198.18.0.1 198.18.0.2 both
c=$(dump_counters)
check "ustack serve counts the ECN connection" test "$(echo "$c" | counter Tcp ecn_negotiated)" = 1

# --- `ustack connect --ecn` to a kernel listener ---------------------------------------------
bg_ns nc -l -n -4 7000 >"$WORK/got"
NC_PID=$BG_PID
wait_listen 7000
"${CONNECT[@]}" --ecn --pcap "$WORK/connect.pcap" 198.18.1.1 7000 <"$WORK/data" >/dev/null \
  2>"$WORK/connect.err" || echo "  ustack connect failed: $(cat "$WORK/connect.err")"
for _ in $(seq 100); do kill -0 "$NC_PID" 2>/dev/null || break; sleep 0.1; done
check "ustack connect --ecn uploads 300 kB to kernel nc" cmp -s "$WORK/data" "$WORK/got"
echo "  ustack connect --ecn -> kernel nc, ustack's --pcap:"
check "ustack asks, the kernel accepts; new data ECT(0), the kernel's ACKs Not-ECT" \
  /usr/bin/python3 "$CHECK" "$WORK/connect.pcap" 198.18.1.2 198.18.1.1
"$USTACK" dump -r "$WORK/connect.pcap" >"$WORK/dump.txt" 2>&1
"$USTACK" dump -v -r "$WORK/connect.pcap" >"$WORK/dump-v.txt" 2>&1
head -3 "$WORK/dump.txt" | sed 's/^/    /'
check "ustack dump shows our SYN as [SEW] (tcpdump's flags)" \
  grep -q "198.18.1.2.[0-9]* > 198.18.1.1.7000: Flags \[SEW\]" "$WORK/dump.txt"
check "ustack dump shows the kernel's SYN-ACK as [S.E]" \
  grep -q "198.18.1.1.7000 > 198.18.1.2.[0-9]*: Flags \[S.E\]" "$WORK/dump.txt"
check "ustack dump -v names ECT(0) on data" grep -q "ecn 2 ECT(0)" "$WORK/dump-v.txt"
check "tcpdump reads the same marks (tos 0x2,ECT(0))" \
  sh -c "tcpdump -n -v -r '$WORK/connect.pcap' 2>/dev/null | grep -q 'tos 0x2,ECT(0)'"
finish
