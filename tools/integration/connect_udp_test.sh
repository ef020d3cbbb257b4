#!/bin/bash
# ConnectUdpTalksToKernelNc: `ustack connect -u` (nc -u) against the kernel's OpenBSD nc -u,
# both ways, bytes checked with cmp: ustack as the client of `nc -u -l`, and `ustack connect
# -u -l` locking onto the first kernel sender (a second sender is not heard). Then an ICMP port
# unreachable ends the client with "connection refused", and -w ends a listener nobody sent to.
source "$(dirname "$0")/lib.sh"
setup_ns

# wait_size FILE N: until FILE holds N bytes (10 s at most).
wait_size() {
  for _ in $(seq 100); do
    [ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -ge "$2" ] && return 0
    sleep 0.1
  done
  return 1
}
# wait_file FILE: until FILE exists (20 s at most).
wait_file() {
  for _ in $(seq 200); do [ -e "$1" ] && return 0; sleep 0.1; done
  return 1
}
# Random payloads ending in a newline, 20001 bytes each.
payload() { { head -c 20000 /dev/urandom; echo; } >"$1"; }
N=20001

# --- ustack connect -u → kernel nc -u -l ---------------------------------------------------
payload "$WORK/a_up"    # ustack → kernel
payload "$WORK/a_down"  # kernel → ustack
# The kernel's nc answers once all of ustack's bytes arrived; it runs until the test says done.
{ wait_size "$WORK/a_k_out" "$N"; cat "$WORK/a_down"; wait_file "$WORK/a_done"; } |
  in_ns nc -u -l 198.18.1.1 7200 >"$WORK/a_k_out" &
PIDS+=("$!")
wait_udp 7200
# ustack's stdin ends once the answer is in; -q 1 then ends the command.
{ cat "$WORK/a_up"; wait_size "$WORK/a_u_out" "$N"; } |
  "${CONNECT[@]}" -u -q 1 198.18.1.1 7200 >"$WORK/a_u_out" 2>"$WORK/a_err"
RC=$?
touch "$WORK/a_done"
sed 's/^/    /' "$WORK/a_err"
check "-u: exit 0 one second after EOF on stdin ($RC)" test "$RC" = 0
check "-u: the kernel's nc got our bytes" cmp "$WORK/a_up" "$WORK/a_k_out"
check "-u: we got the kernel's bytes" cmp "$WORK/a_down" "$WORK/a_u_out"

# --- kernel nc -u → ustack connect -u -l --------------------------------------------------
payload "$WORK/b_up"    # kernel → ustack
payload "$WORK/b_down"  # ustack → kernel
# ustack answers once it has the first peer's bytes, and ends (-q 1) after the kernel got the
# answer and an intruder has sent its datagram.
{
  wait_size "$WORK/b_u_out" "$N"
  cat "$WORK/b_down"
  wait_size "$WORK/b_k_out" "$N"
  wait_file "$WORK/b_intruded"
} | "${CONNECT[@]}" -u -v -l -q 1 7300 >"$WORK/b_u_out" 2>"$WORK/b_err" &
LPID=$!
PIDS+=("$LPID")
for _ in $(seq 100); do grep -q "listening on udp port 7300" "$WORK/b_err" && break; sleep 0.1; done
{ cat "$WORK/b_up"; wait_file "$WORK/b_done"; } |
  in_ns nc -u -p 41000 198.18.1.2 7300 >"$WORK/b_k_out" &
PIDS+=("$!")
wait_size "$WORK/b_u_out" "$N"
# Another sender, once ustack is locked onto the first: ustack must not print its datagram.
echo intruder | in_ns nc -u -w 1 -p 41001 198.18.1.2 7300 >/dev/null 2>&1
touch "$WORK/b_intruded"
wait "$LPID"
RC=$?
touch "$WORK/b_done"
sed 's/^/    /' "$WORK/b_err"
check "-u -l: exit 0 ($RC)" test "$RC" = 0
check "-u -l: the first peer's bytes, and nothing from the second" cmp "$WORK/b_up" "$WORK/b_u_out"
check "-u -l: the kernel's nc got our bytes" cmp "$WORK/b_down" "$WORK/b_k_out"
check "-u -l -v: names the peer it locked onto" \
  grep -q "datagrams from 198.18.1.1:41000" "$WORK/b_err"

# --- IPv6, and the errors --------------------------------------------------------------------
{ wait_file "$WORK/c_done"; } | in_ns nc -6 -u -l fd00:2::1 7400 >"$WORK/c_k_out" &
PIDS+=("$!")
wait_udp 7400
printf 'over IPv6\n' | "${CONNECT[@]}" -u -q 1 fd00:2::1 7400 2>"$WORK/c_err"
RC=$?
touch "$WORK/c_done"
check "-u over IPv6: exit 0 ($RC)" test "$RC" = 0
check "-u over IPv6: the line arrived" grep -qx "over IPv6" "$WORK/c_k_out"

# Nobody on the port: the kernel's ICMP port unreachable ends the command (Linux udp(7)).
printf 'anyone?\n' | timeout 10 "${CONNECT[@]}" -u 198.18.1.1 7999 2>"$WORK/d_err"
RC=$?
check "-u to a closed port: exit 1 ($RC): $(cat "$WORK/d_err")" \
  bash -c "[ $RC = 1 ] && grep -q '198.18.1.1:7999: connection refused' '$WORK/d_err'"

# -l -w 1: nobody sends, the listener gives up after a second of silence.
timeout 10 "${CONNECT[@]}" -u -l -w 1 7500 </dev/null 2>"$WORK/e_err"
RC=$?
check "-u -l -w 1 with no sender: exit 1 ($RC): $(cat "$WORK/e_err")" \
  bash -c "[ $RC = 1 ] && grep -q 'no datagram within -w' '$WORK/e_err'"
finish
