#!/bin/bash
# PingLikeIputils: `ustack ping` sends ICMP/ICMPv6 echo requests from the stack itself to the
# kernel over TUN and reports like iputils ping — the same summary lines, exit codes 0 (replies),
# 1 (none) and 2 (an error); -c, -i, -s, -W, -q, -4/-6 and DUP/size handling checked against
# the kernel's answers.
source "$(dirname "$0")/lib.sh"
setup_ns
PING=("${CONNECT[@]/connect/ping}")
not() { ! "$@"; }

# run_ping OUT ARGS...: `ustack ping` on the persistent device; exit code in RC.
run_ping() {
  local out=$1
  shift
  "${PING[@]}" "$@" >"$out" 2>"$out.err"
  RC=$?
  sed 's/^/    /' "$out" "$out.err"
}

# 1. IPv4: three replies, iputils' lines.
run_ping "$WORK/v4" -c 3 -i 0.2 198.18.1.1
check "v4: exit 0 ($RC)" test "$RC" = 0
check "v4: header" grep -q "^PING 198.18.1.1 (198.18.1.1) 56(84) bytes of data.$" "$WORK/v4"
check "v4: three replies of 64 bytes with ttl 64" \
  test "$(grep -cE '^64 bytes from 198.18.1.1: icmp_seq=[123] ttl=64 time=[0-9.]+ ms$' "$WORK/v4")" = 3
check "v4: summary" grep -qE '^3 packets transmitted, 3 received, 0% packet loss, time [0-9]+ms$' \
  "$WORK/v4"
check "v4: rtt line" grep -qE '^rtt min/avg/max/mdev = [0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+ ms$' "$WORK/v4"

# 2. IPv6 with -s: the kernel echoes 1000 bytes; quiet mode prints only the summary.
run_ping "$WORK/v6" -6 -c 2 -i 0.2 -s 1000 fd00:2::1
check "v6: exit 0 ($RC)" test "$RC" = 0
check "v6: header" grep -q "^PING fd00:2::1 (fd00:2::1) 1000 data bytes$" "$WORK/v6"
check "v6: two replies of 1008 bytes" \
  test "$(grep -cE '^1008 bytes from fd00:2::1: icmp_seq=[12] ttl=64 ' "$WORK/v6")" = 2
run_ping "$WORK/q" -q -c 2 -i 0.2 198.18.1.1
check "-q: no reply lines" not grep -q "bytes from" "$WORK/q"
check "-q: summary" grep -q "2 packets transmitted, 2 received" "$WORK/q"

# 3. A large payload crosses as IP fragments both ways.
run_ping "$WORK/big" -c 1 -s 4000 198.18.1.1
check "fragmented echo: exit 0 ($RC)" test "$RC" = 0
check "fragmented echo: 4008 bytes back" grep -q "^4008 bytes from 198.18.1.1: icmp_seq=1" \
  "$WORK/big"

# 4. Nobody answers (the kernel ignores echo): exit 1 after -W, 100% loss.
in_ns sysctl -qw net.ipv4.icmp_echo_ignore_all=1
run_ping "$WORK/none" -c 2 -i 0.2 -W 1 198.18.1.1
in_ns sysctl -qw net.ipv4.icmp_echo_ignore_all=0
check "no reply: exit 1 ($RC)" test "$RC" = 1
check "no reply: 100% loss" grep -q "2 packets transmitted, 0 received, 100% packet loss" \
  "$WORK/none"

# 5. Errors: no route (exit 2 at once), bad options (usage error, exit 2).
run_ping "$WORK/noroute" -c 1 198.19.9.9
check "no route: exit 2 ($RC)" test "$RC" = 2
check "no route: says so" grep -q "network is unreachable" "$WORK/noroute.err"
run_ping "$WORK/bad" -c 1 -s 70000 198.18.1.1
check "-s 70000: exit 2 ($RC)" test "$RC" = 2
check "-s 70000: one line naming -s" grep -q "^ustack ping: -s" "$WORK/bad.err"

# 6. SIGINT while pinging without -c: the statistics, exit 0 since replies came.
"${PING[@]}" -i 0.2 198.18.1.1 >"$WORK/int" 2>&1 &
P=$!
PIDS+=("$P")
for _ in $(seq 50); do grep -q "icmp_seq=2" "$WORK/int" && break; sleep 0.1; done
kill -INT "$P"
wait "$P"
RC=$?
check "SIGINT: exit 0 after replies ($RC)" test "$RC" = 0
check "SIGINT: statistics printed" grep -q "ping statistics" "$WORK/int"
finish
