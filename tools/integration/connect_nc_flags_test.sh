#!/bin/bash
# ConnectSpeaksNcFlags: `ustack connect` against the kernel's nc with the flags nc users reach
# for: -l (listen: the kernel's nc connects to it, a line each way), -z (probe), -s/-p (source
# address and port, as the kernel's ss sees them), -q (quit after EOF on stdin although the
# peer stays open), -4/-6.
source "$(dirname "$0")/lib.sh"
setup_ns

# -l: ustack listens, a kernel client connects; one line each way. ustack's stdin sends its line
# once the connection is there, then ends.
{
  for _ in $(seq 100); do grep -q "connection from" "$WORK/l_err" 2>/dev/null && break; sleep 0.1; done
  echo "from ustack"
} | "${CONNECT[@]}" -v -l 7100 >"$WORK/l_out" 2>"$WORK/l_err" &
LPID=$!
PIDS+=("$LPID")
for _ in $(seq 100); do grep -q "listening on port 7100" "$WORK/l_err" && break; sleep 0.1; done
# The kernel's client keeps its side open until ustack's line and FIN came (ustack, like nc -N
# users expect, is done when the peer closes).
in_ns timeout 10 /usr/bin/python3 -c '
import socket, sys
c = socket.create_connection(("198.18.1.2", 7100))
c.sendall(b"from the kernel\n")
got = b""
while chunk := c.recv(4096):
    got += chunk
sys.stdout.write(got.decode())
' >"$WORK/k_got"
wait "$LPID"
RC=$?
sed 's/^/    /' "$WORK/l_err"
check "-l: exit 0 ($RC)" test "$RC" = 0
check "-l: the kernel's line arrived" grep -qx "from the kernel" "$WORK/l_out"
check "-l: our line reached the kernel" grep -qx "from ustack" "$WORK/k_got"
check "-l -v: names the peer" grep -q "connection from 198.18.1.1:" "$WORK/l_err"

# A kernel server that accepts on every address and never closes; it notes each peer.
start_peer_logger 7000 "$WORK/peers"

# -z: a probe; a listening port says yes, a closed one no.
"${CONNECT[@]}" -z 198.18.1.1 7000 </dev/null 2>"$WORK/z_err"
RC=$?
check "-z: open port, exit 0 ($RC)" test "$RC" = 0
# The port by its /etc/services name (7000/tcp is afs3-fileserver; Debian also lists bbs), as nc takes it.
"${CONNECT[@]}" -z 198.18.1.1 afs3-fileserver </dev/null 2>"$WORK/zn_err"
RC=$?
check "-z: port by service name, exit 0 ($RC): $(cat "$WORK/zn_err")" test "$RC" = 0
"${CONNECT[@]}" -z 198.18.1.1 7001 </dev/null 2>"$WORK/z2_err"
RC=$?
check "-z: closed port, exit 1 ($RC): $(cat "$WORK/z2_err")" grep -q "connection refused" \
  "$WORK/z2_err"

# -s/-p: the kernel sees the connection from 198.18.1.2:40123; -q 1 ends it one second after
# EOF on stdin, though the kernel's side never closes.
"${CONNECT[@]}" -s 198.18.1.2 -p 40123 -q 1 198.18.1.1 7000 </dev/null >/dev/null 2>"$WORK/q_err"
RC=$?
check "-q 1: exits 0 after EOF on stdin although the peer stays open ($RC)" test "$RC" = 0
check "-s/-p: the kernel saw the connection from 198.18.1.2 port 40123" \
  grep -qx "198.18.1.2 40123" "$WORK/peers"

# -4/-6 against the other family's address.
"${CONNECT[@]}" -4 fd00:2::1 7000 </dev/null 2>"$WORK/f_err"
RC=$?
check "-4 with an IPv6 address: exit 1 ($RC)" test "$RC" = 1
check "-4 with an IPv6 address: says why" grep -q "fd00:2::1: not an IPv4 address" "$WORK/f_err"
"${CONNECT[@]}" -6 -z fd00:2::1 7000 </dev/null
check "-6 -z to the kernel's IPv6 address: exit 0" test $? = 0
finish
