#!/usr/bin/env python3
"""Checks the ECN marks (RFC 3168 §6.1) of one TCP connection in a pcap of a TUN device.

usage: ecn_check.py PCAP ASKER_IP ANSWERER_IP [both]

ASKER_IP opened the connection with an ECN-setup SYN (ECE and CWR), ANSWERER_IP answered with an
ECN-setup SYN-ACK (ECE, no CWR). Then, in both directions: data never sent before is ECT(0),
retransmitted data and segments without data are Not-ECT, and with no CE mark on the path no
segment carries ECE or CWR. The asker must have sent data (with `both`, the answerer too).
Prints one line per direction and every violation; exit status 1 if there was one.
"""
import struct
import sys

FIN, SYN, RST, PSH, ACK, URG, ECE, CWR = (1 << i for i in range(8))
NAMES = ["Not-ECT", "ECT(1)", "ECT(0)", "CE"]


def packets(path):
    """(ip_ecn, src, dst, seq, flags, payload_len) of each IPv4 TCP packet."""
    data = open(path, "rb").read()
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    if linktype not in (101, 12, 228):  # LINKTYPE_RAW / DLT_RAW / LINKTYPE_IPV4
        raise SystemExit("%s: link type %d, want raw IP (a TUN capture)" % (path, linktype))
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack(endian + "I", data[off + 8:off + 12])[0]
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if len(pkt) < 40 or pkt[0] >> 4 != 4 or pkt[9] != 6:
            continue
        ihl = (pkt[0] & 15) * 4
        total = struct.unpack(">H", pkt[2:4])[0]
        tcp = pkt[ihl:total]
        doff = (tcp[12] >> 4) * 4
        src = ".".join(str(b) for b in pkt[12:16])
        dst = ".".join(str(b) for b in pkt[16:20])
        seq = struct.unpack(">I", tcp[4:8])[0]
        yield pkt[1] & 3, src, dst, seq, tcp[13], len(tcp) - doff


def main():
    path, asker, answerer = sys.argv[1:4]
    senders = [asker, answerer] if sys.argv[4:] == ["both"] else [asker]
    errors = []
    syn = synack = None
    sent_end = {}  # highest sequence sent so far, per source (data only)
    counts = {asker: [0, 0, 0], answerer: [0, 0, 0]}  # new data, resent data, no data
    for ecn, src, dst, seq, flags, length in packets(path):
        if src not in counts:
            continue
        what = "%s > %s seq %d len %d flags 0x%02x %s" % (src, dst, seq, length, flags, NAMES[ecn])
        if flags & SYN:
            if ecn != 0:
                errors.append("SYN with ECT: " + what)
            if src == asker and not flags & ACK and syn is None:
                syn = flags
            if src == answerer and flags & ACK and synack is None:
                synack = flags
            sent_end[src] = seq + 1
            continue
        if flags & (ECE | CWR):
            errors.append("ECE/CWR without CE on the path: " + what)
        if length == 0:
            counts[src][2] += 1
            if ecn != 0:
                errors.append("segment without data is ECT: " + what)
            continue
        end = (seq + length) % 2**32
        new = (seq - sent_end[src]) % 2**32 < 2**31  # starts at or above what was sent
        if (end - sent_end[src]) % 2**32 < 2**31:
            sent_end[src] = end
        if new:
            counts[src][0] += 1
            if ecn != 2:
                errors.append("new data not ECT(0): " + what)
        else:
            counts[src][1] += 1
            if ecn != 0:
                errors.append("retransmission is ECT: " + what)
    if syn is None or not (syn & ECE and syn & CWR):
        errors.append("no ECN-setup SYN (ECE|CWR) from %s (flags %s)" % (asker, syn))
    if synack is None or not synack & ECE or synack & CWR:
        errors.append("no ECN-setup SYN-ACK (ECE, no CWR) from %s (flags %s)" % (answerer, synack))
    for host, (new, resent, empty) in counts.items():
        print("  %s: %d new data segments, %d resent, %d without data" % (host, new, resent, empty))
        if new == 0 and host in senders:
            errors.append("no data from %s" % host)
    for e in errors[:20]:
        print("  ERROR " + e)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
