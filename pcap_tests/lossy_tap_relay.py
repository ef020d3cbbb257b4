#!/usr/bin/python3
"""Join two Linux TAP devices through a lossy relay and record what each side saw.

Used by make_replay_captures.sh for nc_lossy_*.pcap. This kernel has no sch_netem, so the loss
comes from here: like tap_bridge_recorder.py, this program opens two TAPs (without
IFF_VNET_HDR, so every checksum and segment is final), copies each Ethernet frame one kernel
writes to its TAP over to the other TAP, and in the A -> B direction drops a seeded fraction of
the TCP segments that carry data (payload length > 0; retransmissions are data too). Nothing
else is dropped: not in B -> A, not ARP/NDP, not SYN/FIN/ACK-only segments.

Two captures, one per side of the relay:
  OUT_A (sender side): every frame A's kernel wrote (also those dropped afterwards) and every
        frame delivered to A. This is what a tcpdump on A's interface would have shown.
  OUT_B (receiver side): every frame delivered to B and every frame B's kernel wrote.
Dropped frames are listed on stderr (index among A -> B data segments, TCP seq, length) and
counted at exit.

usage: lossy_tap_relay.py TAP_A TAP_B OUT_A.pcap OUT_B.pcap READY_FILE DROP_RATE SEED
Creates TAP_A and TAP_B, touches READY_FILE, and relays until SIGTERM or SIGINT.
"""
import os
import random
import select
import signal
import struct
import sys
import time

from tap_bridge_recorder import LINKTYPE_ETHERNET, SNAPLEN, open_tap  # same directory


def tcp_data(frame):
    """(seq, payload length) if FRAME is a TCP segment with data over IPv4 or IPv6, else None."""
    if len(frame) < 14:
        return None
    ethertype = struct.unpack_from("!H", frame, 12)[0]
    ip = 14
    if ethertype == 0x0800 and len(frame) >= ip + 20:
        ihl = (frame[ip] & 0x0F) * 4
        total = struct.unpack_from("!H", frame, ip + 2)[0]
        frag = struct.unpack_from("!H", frame, ip + 6)[0]
        if frame[ip + 9] != 6 or frag & 0x1FFF or frag & 0x2000:
            return None
        tcp, end = ip + ihl, ip + total
    elif ethertype == 0x86DD and len(frame) >= ip + 40:
        if frame[ip + 6] != 6:  # no extension headers in this relay's traffic
            return None
        tcp, end = ip + 40, ip + 40 + struct.unpack_from("!H", frame, ip + 4)[0]
    else:
        return None
    if len(frame) < tcp + 20 or end > len(frame):
        return None
    seq = struct.unpack_from("!I", frame, tcp + 4)[0]
    payload = end - tcp - (frame[tcp + 12] >> 4) * 4
    return (seq, payload) if payload > 0 else None


class Pcap:
    def __init__(self, path):
        self.out = open(path, "wb")
        # pcap global header (microsecond timestamps, little endian as written by this host).
        self.out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, SNAPLEN, LINKTYPE_ETHERNET))

    def write(self, frame):
        now = time.time()
        sec = int(now)
        usec = int((now - sec) * 1e6)
        self.out.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)))
        self.out.write(frame)

    def close(self):
        self.out.close()


def main():
    if len(sys.argv) != 8:
        sys.exit(__doc__)
    name_a, name_b, out_a, out_b, ready_path = sys.argv[1:6]
    drop_rate, seed = float(sys.argv[6]), int(sys.argv[7])
    rng = random.Random(seed)
    fd_a, fd_b = open_tap(name_a), open_tap(name_b)
    pcap_a, pcap_b = Pcap(out_a), Pcap(out_b)

    stop = False

    def on_signal(signum, frame):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    data_segments = 0
    dropped = 0
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
            if fd == fd_a:
                pcap_a.write(frame)
                data = tcp_data(frame)
                if data is not None:
                    index = data_segments
                    data_segments += 1
                    if rng.random() < drop_rate:
                        dropped += 1
                        print(f"dropped A->B data segment #{index}: seq {data[0]} len {data[1]}",
                              file=sys.stderr, flush=True)
                        continue
                dst, pcap_dst = fd_b, pcap_b
            else:
                pcap_b.write(frame)
                dst, pcap_dst = fd_a, pcap_a
            try:
                os.write(dst, frame)
            except OSError:
                continue  # peer TAP not up yet: the frame goes nowhere and is not recorded
            pcap_dst.write(frame)
        pcap_a.out.flush()
        pcap_b.out.flush()
    pcap_a.close()
    pcap_b.close()
    print(f"A->B data segments: {data_segments}, dropped: {dropped}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
