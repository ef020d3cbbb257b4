#!/usr/bin/python3
"""Crafted fragment abuse against ustack, sent from the kernel side of the test namespace.

Run inside the namespace with Debian's python3 (it has scapy):
    ip netns exec NS /usr/bin/python3 fragment_abuse.py PHASE
PHASE is one of:
  overlap     echo requests whose fragments overlap: the datagram is dropped (IPv6: RFC 5722;
              IPv4: as Linux does), except that an IPv4 fragment lying wholly inside bytes
              already received is ignored as a duplicate.
  duplicate   an echo request whose every fragment is sent twice: answered exactly once.
  reorder     an echo request fragmented and sent last fragment first: a reply must come back.
  incomplete  many datagrams that never complete (no last fragment), enough to exceed the
              reassembly memory cap and the datagram limit.
Prints one line per finding and exits non-zero if an expectation failed.
"""
import os
import socket
import sys
import time

from scapy.all import ICMP, IP, IPv6, ICMPv6EchoRequest, IPv6ExtHdrFragment, Raw

US4, US6 = "198.18.0.2", "fd00:1::2"
ME4, ME6 = "198.18.0.1", "fd00:1::1"
IDENT = os.getpid() & 0xFFFF


def echo_replies(sock, family, ident, seq, seconds):
    """Payloads of the echo replies with (ident, seq) that arrive within `seconds`."""
    deadline = time.time() + seconds
    found = []
    while time.time() < deadline:
        try:
            data = sock.recv(70000)
        except socket.timeout:
            continue
        if family == socket.AF_INET:
            icmp = data[(data[0] & 0x0F) * 4:]
            want_type = 0
        else:
            icmp = data  # raw ICMPv6 sockets deliver the ICMPv6 message only
            want_type = 129
        if len(icmp) >= 8 and icmp[0] == want_type and int.from_bytes(icmp[4:6], "big") == ident \
                and int.from_bytes(icmp[6:8], "big") == seq:
            found.append(icmp[8:])
    return found


def count_replies(sock, family, ident, seq, seconds):
    return len(echo_replies(sock, family, ident, seq, seconds))


def send(pkts):
    """Sends scapy-built IPv4/IPv6 packets as they are, through header-including raw sockets
    (the kernel routes them to the TUN/TAP device; it neither fragments nor reassembles)."""
    if not isinstance(pkts, list):
        pkts = [pkts]
    s4 = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s6 = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_RAW)
    for p in pkts:
        data = bytes(p)
        if p.haslayer(IPv6):
            s6.sendto(data, (p[IPv6].dst, 0))
        else:
            s4.sendto(data, (p[IP].dst, 0))
    s4.close()
    s6.close()


def v6_fragments(payload_pkt, frag_id, chunks):
    """IPv6 fragments of `payload_pkt` (an ICMPv6 layer) cut at the byte offsets in `chunks`
    (each (offset, length), offsets multiples of 8); returns scapy packets."""
    raw = bytes(IPv6(src=ME6, dst=US6) / payload_pkt)[40:]  # upper layer with checksum
    out = []
    for off, length in chunks:
        more = 1 if off + length < len(raw) else 0
        out.append(IPv6(src=ME6, dst=US6) /
                   IPv6ExtHdrFragment(nh=58, offset=off // 8, m=more, id=frag_id) /
                   Raw(raw[off:off + length]))
    return out


def v4_fragments(icmp_pkt, ip_id, chunks):
    raw = bytes(IP(src=ME4, dst=US4) / icmp_pkt)[20:]
    out = []
    for off, length in chunks:
        more = 1 if off + length < len(raw) else 0
        out.append(IP(src=ME4, dst=US4, id=ip_id, flags="MF" if more else 0, frag=off // 8,
                      proto=1) / Raw(raw[off:off + length]))
    return out


def check(ok, what):
    print(("ok: " if ok else "FAIL: ") + what, flush=True)
    return ok


def phase_overlap():
    good = True
    payload = bytes(range(256)) * 4  # 1024 bytes
    s4 = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s4.settimeout(0.2)
    s6 = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    s6.settimeout(0.2)
    # IPv4, as Linux since the FragmentSmack fixes: the second fragment starts inside the
    # first (offset 512 < 520) and its first 8 bytes contradict it: the whole datagram goes.
    for i in range(5):
        frags = v4_fragments(ICMP(type=8, id=IDENT, seq=100 + i) / Raw(payload), 0x4000 + i,
                             [(0, 520), (512, 520)])
        frags[1][Raw].load = b"\xff" * 8 + frags[1][Raw].load[8:]
        send(frags)
    good &= check(count_replies(s4, socket.AF_INET, IDENT, 100, 1.0) == 0,
                  "no IPv4 reply to partly overlapping fragments")
    # ... but a fragment wholly inside bytes already received is a duplicate: ignored, even
    # with different bytes, and the datagram completes with the original payload.
    frags = v4_fragments(ICMP(type=8, id=IDENT, seq=110) / Raw(payload), 0x4100,
                         [(0, 1024), (256, 256), (1024, 8)])
    frags[1][Raw].load = b"\xee" * 256
    send(frags)
    got = echo_replies(s4, socket.AF_INET, IDENT, 110, 1.5)
    good &= check(got == [payload], "IPv4 fragment contained in received bytes is ignored "
                  "(%d replies, payload intact: %s)" % (len(got), got == [payload]))
    # IPv6 (RFC 5722 §4): any overlap discards the whole datagram, even with identical bytes.
    for i in range(5):
        send(v6_fragments(ICMPv6EchoRequest(id=IDENT, seq=100 + i, data=payload), 0x4000 + i,
                          [(0, 520), (512, 520)]))
    good &= check(count_replies(s6, socket.AF_INET6, IDENT, 100, 1.0) == 0,
                  "no IPv6 reply to overlapping fragments (RFC 5722)")
    return good


def phase_duplicate():
    payload = bytes(range(256)) * 8
    s4 = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s4.settimeout(0.2)
    frags = v4_fragments(ICMP(type=8, id=IDENT, seq=200) / Raw(payload), 0x5000,
                         [(0, 1024), (1024, 1032)])
    send([f for f in frags for _ in (0, 1)])
    n = count_replies(s4, socket.AF_INET, IDENT, 200, 1.5)
    # RFC 8200 §4.5 (and what Linux does for IPv4): an exact duplicate is ignored, so the
    # datagram completes once and is answered once.
    return check(n == 1, "duplicated fragments give one datagram (got %d replies)" % n)


def phase_reorder():
    good = True
    payload = bytes(range(256)) * 12  # 3072 bytes, 4 fragments at 1024
    s4 = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s4.settimeout(0.2)
    s6 = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    s6.settimeout(0.2)
    chunks = [(0, 1024), (1024, 1024), (2048, 1024), (3072, 8)]
    send(list(reversed(v4_fragments(ICMP(type=8, id=IDENT, seq=300) / Raw(payload), 0x6000,
                                    chunks))))
    good &= check(count_replies(s4, socket.AF_INET, IDENT, 300, 2.0) == 1,
                  "IPv4 echo request sent as reversed fragments is answered")
    send(list(reversed(v6_fragments(ICMPv6EchoRequest(id=IDENT, seq=300, data=payload), 0x6000,
                                    chunks))))
    good &= check(count_replies(s6, socket.AF_INET6, IDENT, 300, 2.0) == 1,
                  "IPv6 echo request sent as reversed fragments is answered")
    return good


def phase_incomplete():
    # 300 datagrams (above the 256-datagram limit), each with 12 fragments of 1400 bytes and
    # no last fragment: 300 * 12 * 1400 = 5 MB per family, above the 4 MiB memory cap.
    chunk = b"\xab" * 1400
    pkts4, pkts6 = [], []
    for d in range(300):
        for k in range(12):
            pkts4.append(IP(src=ME4, dst=US4, id=0x7000 + d, flags="MF", frag=(k * 1400) // 8,
                            proto=17) / Raw(chunk))
            pkts6.append(IPv6(src=ME6, dst=US6) /
                         IPv6ExtHdrFragment(nh=17, offset=(k * 1400) // 8, m=1, id=0x7000 + d) /
                         Raw(chunk))
    start = time.time()
    send(pkts4)
    send(pkts6)
    return check(True, "sent %d never-completed fragments in %.1f s" %
                 (len(pkts4) + len(pkts6), time.time() - start))


PHASES = {"overlap": phase_overlap, "duplicate": phase_duplicate, "reorder": phase_reorder,
          "incomplete": phase_incomplete}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in PHASES:
        sys.exit("usage: fragment_abuse.py " + "|".join(PHASES))
    sys.exit(0 if PHASES[sys.argv[1]]() else 1)
