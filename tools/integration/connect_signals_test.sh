#!/bin/bash
# ConnectHandlesSignalsAndRoutesLikeNc: `ustack connect` under the signals every stack command
# handles alike, and with nowhere to go.
#   - SIGUSR1 prints the counters (on stderr: stdout carries the data) and the copy goes on;
#   - SIGINT / SIGTERM end it with 130 / 143, the counters printed at exit, and what it created
#     removed and named: a --peer address it added to an attached device (not one that was
#     there before), or the device and namespace it created;
#   - no route to the destination: "network is unreachable" at once, not a timeout after -w;
#   - an ICMP net unreachable from the kernel router: reported as such, not as a timeout;
#   - over TAP with IPv6 it waits for duplicate address detection instead of failing at once.
source "$(dirname "$0")/lib.sh"
setup_ns
bg_ns nc -l -k -n 198.18.1.1 7000 >/dev/null
wait_listen 7000
mkfifo "$WORK/stdin"

# start_connect LOG CMD...: a `ustack connect` command line with a stdin that stays open; its PID
# in CPID.
start_connect() {
  local log=$1
  shift
  sleep 600 >"$WORK/stdin" &
  PIDS+=($!)
  "$@" <"$WORK/stdin" >/dev/null 2>"$log" &
  CPID=$!
  PIDS+=("$CPID")
  for _ in $(seq 100); do
    grep -q "connected to" "$log" && return 0
    sleep 0.1
  done
  die "ustack connect did not connect: $(cat "$log")"
}
# stop_connect SIGNAL: signals CPID, waits; its exit code in RC.
stop_connect() {
  kill -"$1" "$CPID"
  wait "$CPID"
  RC=$?
}
peer_on_device() { [[ "$(in_ns ip -o addr show dev "$CN_DEV")" == *" $1 "* ]]; }
not() { ! "$@"; }

# 1. Attached device: SIGUSR1, then SIGINT; the --peer address it added goes, 198.18.1.1 stays.
start_connect "$WORK/c1" "${CONNECT[@]}" --peer 198.18.1.77/24 -v 198.18.1.1 7000
check "connect put its --peer address on the device" peer_on_device 198.18.1.77/24
kill -USR1 "$CPID"
for _ in $(seq 50); do grep -q "end of counters" "$WORK/c1" && break; sleep 0.1; done
check "SIGUSR1 prints connect's counters on stderr" grep -q "ustack connect: counters (SIGUSR1):" \
  "$WORK/c1"
check "connect is still running after SIGUSR1" kill -0 "$CPID"
stop_connect INT
sed 's/^/    /' "$WORK/c1" | grep -v "^        "
check "SIGINT: exit 130 ($RC)" test "$RC" = 130
check "SIGINT: the counters at exit" grep -q "counters at exit (SIGINT):" "$WORK/c1"
check "SIGINT: says it removed the address it added" \
  grep -q "removed kernel-side address 198.18.1.77/24" "$WORK/c1"
check "the added --peer address is gone" not peer_on_device 198.18.1.77/24
check "the device's own address stays" peer_on_device 198.18.1.1/24

# 2. A --peer address that was there before is not connect's to remove; SIGTERM exits 143.
start_connect "$WORK/c2" "${CONNECT[@]}" --peer 198.18.1.1/24 -v 198.18.1.1 7000
stop_connect TERM
check "SIGTERM: exit 143 ($RC)" test "$RC" = 143
check "SIGTERM: the counters at exit" grep -q "counters at exit (SIGTERM):" "$WORK/c2"
check "an address that was there before stays" peer_on_device 198.18.1.1/24
check "nothing is said removed" not grep -q "removed" "$WORK/c2"

# 3. Its own device in its own namespace, stopped while it waits for an answer that never comes
#    (198.18.2.9 is nobody: the kernel drops the SYNs): both removed on SIGINT, and named.
OWN_NS="ustcs${ID}"
sleep 600 >"$WORK/stdin" &
PIDS+=($!)
"$USTACK" connect --tun "cs${ID}" --netns "$OWN_NS" --addr 198.18.2.2/24 --peer 198.18.2.1/24 \
  198.18.2.9 22 <"$WORK/stdin" >/dev/null 2>"$WORK/c3" &
CPID=$!
PIDS+=("$CPID")
for _ in $(seq 100); do ip netns exec "$OWN_NS" ip link show "cs${ID}" >/dev/null 2>&1 && break; sleep 0.1; done
sleep 0.5
stop_connect INT
sed 's/^/    /' "$WORK/c3" | grep -v "^        "
check "SIGINT while connecting: exit 130 ($RC)" test "$RC" = 130
check "a namespace connect created is gone after it ends" \
  not bash -c "ip netns list | grep -w $OWN_NS >/dev/null"
check "it says what it removed" grep -q "removed tun cs${ID}, netns $OWN_NS" "$WORK/c3"

# 4. No route: at once, in Linux's words (-w 60 would have been the timeout).
"${CONNECT[@]}" -w 60 198.18.50.1 7000 </dev/null >/dev/null 2>"$WORK/c4"
RC=$?
sed 's/^/    /' "$WORK/c4"
check "no route: exit 1 ($RC)" test "$RC" = 1
check "no route: network is unreachable, not a timeout" \
  grep -q "198.18.50.1:7000: network is unreachable" "$WORK/c4"

# 5. A route through the kernel, which has none further: its ICMP net unreachable ends the
#    handshake (as it ends nc's on Linux) whatever -w says.
in_ns sysctl -qw net.ipv4.ip_forward=1
"${CONNECT[@]}" --gw 198.18.1.1 -w 60 198.18.50.1 7000 </dev/null >/dev/null 2>"$WORK/c5"
RC=$?
sed 's/^/    /' "$WORK/c5"
check "ICMP net unreachable: exit 1 ($RC)" test "$RC" = 1
check "ICMP net unreachable: reported as such" \
  grep -Eq "198.18.50.1:7000: (network|host) is unreachable|no route to host" "$WORK/c5"

# 6. TAP and IPv6: our address is tentative for a DAD round (RFC 4862) when the stack starts.
TAP="cst${ID}"
in_ns ip tuntap add dev "$TAP" mode tap
in_ns ip addr add fd00:3::1/64 dev "$TAP" nodad
in_ns ip link set "$TAP" up
bg_ns nc -l -n -6 fd00:3::1 7003 >"$WORK/got6"
wait_listen 7003
echo "over tap" | "$USTACK" connect --tap "$TAP" --netns "$NS" --no-create --addr fd00:3::2/64 \
  fd00:3::1 7003 >/dev/null 2>"$WORK/c6"
RC=$?
sed 's/^/    /' "$WORK/c6"
check "TAP + IPv6: connect succeeds ($RC)" test "$RC" = 0
for _ in $(seq 50); do [ -s "$WORK/got6" ] && break; sleep 0.1; done
check "TAP + IPv6: the kernel got the line" grep -q "over tap" "$WORK/got6"
finish
