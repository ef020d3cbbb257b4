#!/usr/bin/python3
"""Join two Linux TAP devices back to back and record every frame to a pcap file.

Used by make_mixed_capture.sh. Each TAP ends up in its own network namespace (the shell moves
it there after this program has opened it); this program copies each Ethernet frame one kernel
writes to its TAP over to the other TAP and appends it to the capture.

Why a TAP bridge and not tcpdump on a veth pair: a veth advertises checksum offload, so frames
that tcpdump sees leaving a namespace carry unfinished (partial) TCP/UDP checksums. A TAP opened
without IFF_VNET_HDR makes the kernel finish every checksum and segment before handing the
frame to user space, so the capture holds exactly the bytes that would go on a wire.

usage: tap_bridge_recorder.py TAP_A TAP_B OUT.pcap READY_FILE
Creates TAP_A and TAP_B, touches READY_FILE, and records until SIGTERM or SIGINT.
"""
import fcntl
import os
import select
import signal
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
LINKTYPE_ETHERNET = 1
SNAPLEN = 65535


def open_tap(name):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
    return fd


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    name_a, name_b, out_path, ready_path = sys.argv[1:]
    fd_a, fd_b = open_tap(name_a), open_tap(name_b)
    peer = {fd_a: fd_b, fd_b: fd_a}

    stop = False

    def on_signal(signum, frame):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    with open(out_path, "wb") as out:
        # pcap global header (microsecond timestamps, little endian as written by this host).
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, SNAPLEN, LINKTYPE_ETHERNET))
        open(ready_path, "w").close()
        while not stop:
            try:
                readable, _, _ = select.select([fd_a, fd_b], [], [], 0.2)
            except InterruptedError:
                continue
            for fd in readable:
                try:
                    frame = os.read(fd, 65536)
                except OSError:
                    continue  # the other side is going down
                now = time.time()
                sec = int(now)
                usec = int((now - sec) * 1e6)
                out.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)))
                out.write(frame)
                try:
                    os.write(peer[fd], frame)
                except OSError:
                    pass  # peer TAP not up yet: the frame is recorded but goes nowhere
            out.flush()


if __name__ == "__main__":
    main()
