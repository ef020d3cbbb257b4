#!/bin/bash
# Urgent data (RFC 9293 §3.8.5, MUST-30..33) between ustack and the Linux kernel over TUN, both
# directions, a python socket as the kernel's side (sockapi/examples/urgent_client as ustack's):
#   UstackUrgentByteIsReadByKernelRecvMsgOob    ustack send(b"!", MSG_OOB) between "before" and
#                                               "after": the kernel's POLLPRI, recv(1, MSG_OOB)
#                                               gives b"!", SIOCATMARK marks the spot, and the
#                                               stream is "before" + "after"
#   KernelUrgentByteIsReadByUstackRecvMsgOob    the kernel's send(b"#", MSG_OOB): the same seen
#                                               from ustack (POLLPRI, recv MSG_OOB, sockatmark)
#   BothInlineWithSoOobinline                   SO_OOBINLINE on both ends: the byte stays in
#                                               the stream, the mark is still found
source "$(dirname "$0")/../../tools/integration/lib.sh"
setup_ns
EX="$PWD/sockapi/examples"
CN_OPTS=(--tun "$CN_DEV" --netns "$NS" --no-create --addr 198.18.1.2/24)

cat >"$WORK/kernel_peer.py" <<'PY'
# Accepts one connection per mode given ("oob" or "inline"), reads what ustack sends (urgent
# byte and stream, "|" where SIOCATMARK is true), prints it, then sends "hello", b"#" with
# MSG_OOB, "world" and ends its side.
import fcntl, select, socket, struct, sys
SIOCATMARK = 0x8905  # <linux/sockios.h>
def atmark(s):
    return struct.unpack("i", fcntl.ioctl(s.fileno(), SIOCATMARK, b"\0" * 4))[0] == 1
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("198.18.1.1", 7100))
l.listen(4)
print("ready", flush=True)
for mode in sys.argv[1:]:
    c, _ = l.accept()
    c.settimeout(10)
    if mode == "inline":
        c.setsockopt(socket.SOL_SOCKET, socket.SO_OOBINLINE, 1)
    p = select.poll()
    p.register(c, select.POLLPRI)
    pri = bool(p.poll(10000))
    oob = c.recv(1, socket.MSG_OOB) if mode == "oob" else b"inline"
    stream = b""
    while not stream.endswith(b"after"):
        if atmark(c):
            stream += b"|"
        chunk = c.recv(100)
        if not chunk:
            break
        stream += chunk
    print("%s: pollpri=%s oob=%s stream=%s" % (mode, pri, oob.decode(), stream.decode()),
          flush=True)
    c.send(b"hello")
    c.send(b"#", socket.MSG_OOB)
    c.send(b"world")
    c.shutdown(socket.SHUT_WR)
    c.recv(100)  # until ustack closes
    c.close()
PY
bg_ns python3 -u "$WORK/kernel_peer.py" oob inline >"$WORK/kernel.log" 2>&1
for _ in $(seq 50); do grep -q ready "$WORK/kernel.log" && break; sleep 0.1; done

# run_client MODE: urgent_client in MODE against the kernel peer (output in $WORK/MODE.out), and
# waits for the peer's line about the same connection.
run_client() {
  "$EX/urgent_client" 198.18.1.1 7100 "$1" "${CN_OPTS[@]}" >"$WORK/$1.out" 2>&1
  echo "ustack: $(tr '\n' ';' <"$WORK/$1.out")"
  for _ in $(seq 50); do grep -q "^$1:" "$WORK/kernel.log" && break; sleep 0.1; done
  echo "kernel: $(grep "^$1:" "$WORK/kernel.log")"
}

run_client oob
check "kernel: POLLPRI, recv(1, MSG_OOB) = '!', the stream skips it, SIOCATMARK at the spot" \
  grep -qx "oob: pollpri=True oob=! stream=before|after" "$WORK/kernel.log"
check "ustack: POLLPRI, recv(1, MSG_OOB) = '#', the stream skips it, sockatmark at the spot" \
  grep -qx "oob: #" "$WORK/oob.out"
check "ustack: the stream around the kernel's urgent byte" \
  grep -qx "stream: hello|world" "$WORK/oob.out"

run_client inline
check "kernel with SO_OOBINLINE: the byte stays in the stream, the mark before it" \
  grep -qx "inline: pollpri=True oob=inline stream=before|!after" "$WORK/kernel.log"
check "ustack with SO_OOBINLINE: POLLPRI, the byte in the stream, the mark before it" \
  grep -qx "stream: hello|#world" "$WORK/inline.out"
finish
