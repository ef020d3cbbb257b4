#!/bin/bash
# KernelClientConnectsThroughSynFloodViaCookies: `ustack serve` (echo) in a fresh namespace gets
# a bounded SYN flood from the kernel side (5000 SYNs over a raw socket, spoofed sources in
# 198.18.100-199.x, whose SYN-ACKs have no route back); in the middle of it a real kernel client
# connects and its echo comes back. The listener's SYN queue (backlog 1024) fills, the rest of
# the flood and the client are answered with SYN cookies: ustack's counters show cookies sent
# and the client's cookie received, and its socket count stays within the backlog.
source "$(dirname "$0")/lib.sh"
setup_ns
start_serve echo:5007

out=$(in_ns /usr/bin/python3 "$(dirname "$0")/syn_flood.py" 198.18.0.2 5007 5000 2500 2>&1)
rc=$?
echo "$out" | sed 's/^/  /'
check "the kernel client's echo came back during the flood" test "$rc" = 0
check "the client negotiated timestamps, SACK and window scaling through the cookie" \
  grep -q "client: options ts sack wscale" <<<"$out"

c=$(dump_counters)
echo "$c" | grep -E "sockets|syncookies|passive_opens|drops_listen|send_failed" | sed 's/^/  /'
sent=$(echo "$c" | counter Tcp syncookies_sent)
recv=$(echo "$c" | counter Tcp syncookies_recv)
sockets=$(echo "$c" | counter Tcp sockets)
check "SYN cookies sent ($sent)" test "$sent" -gt 0
check "the client's cookie came back valid ($recv)" test "$recv" -ge 1
check "no cookie failed" test "$(echo "$c" | counter Tcp syncookies_failed)" = 0
# Two listeners (IPv4, IPv6), at most 1024 embryonic connections, the client's connection.
check "sockets bounded by the backlog ($sockets <= 1027)" test "$sockets" -le 1027

stop_ustack TERM
check "ustack serve exits 0 on SIGTERM after the flood ($USTACK_RC)" test "$USTACK_RC" = 0
check "the exit counters show the cookies" grep -q "syncookies_recv" "$USTACK_LOG"
finish
