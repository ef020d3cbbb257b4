#!/usr/bin/python3
"""A bounded SYN flood with a real client in the middle of it (for syn_flood_test.sh).

Usage: syn_flood.py DST PORT COUNT CLIENT_AFTER

Sends COUNT TCP SYNs to DST:PORT over a raw socket, each from a random spoofed source in
198.18.100.0-198.18.199.255 (inside 198.18.0.0/15, never an address of the namespace) and a
random port, so their SYN-ACKs go nowhere. Once CLIENT_AFTER SYNs are out, a real kernel TCP
client (a plain socket, with the kernel's timestamps, SACK and window scaling) connects to
DST:PORT while the flood goes on, sends a message to the echo service and checks the echo.
Prints one line per event; exits 0 if the client's exchange succeeded.
"""
import os
import random
import socket
import struct
import sys
import threading
import time


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def syn_packet(src, dst, sport, dport, seq):
    # TCP header with an MSS option (like a real SYN), then the IPv4 header (RFC 791/9293).
    opts = struct.pack("!BBH", 2, 4, 1460)
    off = (20 + len(opts)) // 4
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, off << 4, 0x02, 64240, 0, 0) + opts
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
    total = 20 + len(tcp)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, random.getrandbits(16), 0, 64, 6, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return ip + tcp


def flood(dst, port, count, client_after, started):
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    rng = random.Random(11)
    sent = 0
    for i in range(count):
        src = "198.18.%d.%d" % (rng.randrange(100, 200), rng.randrange(1, 255))
        pkt = syn_packet(src, dst, rng.randrange(1024, 65536), port, rng.getrandbits(32))
        try:
            raw.sendto(pkt, (dst, 0))
            sent += 1
        except OSError:
            time.sleep(0.01)  # the device queue is full: let ustack catch up
        if i + 1 == client_after:
            started.set()
        if i % 100 == 99:
            time.sleep(0.02)  # a bounded rate: the flood lasts a couple of seconds
    print("flood: %d of %d SYNs sent" % (sent, count), flush=True)


def main():
    dst, port, count, client_after = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    started = threading.Event()
    t = threading.Thread(target=flood, args=(dst, port, count, client_after, started))
    t.start()
    started.wait()
    msg = os.urandom(3000)
    ok = False
    try:
        c = socket.create_connection((dst, port), timeout=10)
        # struct tcp_info: tcpi_options (byte 5) says what the handshake negotiated.
        options = c.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[5]
        print("client: options%s%s%s" % (" ts" if options & 1 else "", " sack" if options & 2
                                         else "", " wscale" if options & 4 else ""), flush=True)
        c.sendall(msg)
        got = b""
        while len(got) < len(msg):
            b = c.recv(65536)
            if not b:
                break
            got += b
        c.close()
        ok = got == msg
        print("client: connected during the flood, %d bytes echoed %s"
              % (len(got), "correctly" if ok else "WRONG"), flush=True)
    except OSError as e:
        print("client: failed: %s" % e, flush=True)
    t.join()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
