#!/usr/bin/python3
"""Compares ustack's --pcap recording with the kernel side's tcpdump capture of the same device.

    pcap_compare.py USTACK.pcap KERNEL.pcap

Both see every packet that crosses the device, so within the window the kernel capture
covers (from its first to its last packet as found in ustack's file) the two must hold the
same packets, byte for byte (ustack's file also has what came before tcpdump started and
after it stopped); their order may differ only where the two ends raced (the
kernel sending the next packet while ustack was answering the previous one), so the check is
on multisets. Link types: the raw-IP kinds (101, 228, 229) and Ethernet (1); both files must
agree on which. Standard library only.

With checksum offload (IFF_VNET_HDR, ustack's default) tcpdump on the kernel's end records
TCP and UDP packets with a partial checksum (CHECKSUM_PARTIAL: the pseudo-header sum, to be
completed by whoever sends the packet on), while ustack records the completed one. A kernel
packet whose checksum field holds exactly that partial sum is compared with it completed;
any other wrong checksum still counts as a difference.
"""
import collections
import struct
import sys

RAW_IP = {101, 228, 229, 12, 14}


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        sys.exit("%s: too short for a pcap header" % path)
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        sys.exit("%s: not a pcap file (magic %s)" % (path, magic.hex()))
    linktype = struct.unpack(endian + "I", data[20:24])[0] & 0x0FFFFFFF
    packets, off = [], 24
    while off + 16 <= len(data):
        _, _, incl, orig = struct.unpack(endian + "IIII", data[off:off + 16])
        off += 16
        if incl != orig:
            sys.exit("%s: truncated packet in the capture (%d of %d bytes)" % (path, incl, orig))
        packets.append(data[off:off + incl])
        off += incl
    if off != len(data):
        sys.exit("%s: trailing garbage after the last packet" % path)
    return ("ip" if linktype in RAW_IP else "eth" if linktype == 1 else str(linktype)), packets


def _sum16(data, acc=0):
    if len(data) % 2:
        data += b"\0"
    for (w,) in struct.iter_unpack("!H", data):
        acc += w
    while acc >> 16:
        acc = (acc & 0xFFFF) + (acc >> 16)
    return acc


def complete_partial_checksum(packet, link):
    """The packet with a partial TCP/UDP checksum (see above) completed, else unchanged."""
    off = 14 if link == "eth" else 0
    ip = packet[off:]
    if len(ip) < 20:
        return packet
    if ip[0] >> 4 == 4:
        ihl = (ip[0] & 15) * 4
        proto, total = ip[9], struct.unpack("!H", ip[2:4])[0]
        if struct.unpack("!H", ip[6:8])[0] & 0x3FFF:  # a fragment: no whole L4 header
            return packet
        l4 = ip[ihl:total]
        pseudo = ip[12:20] + struct.pack("!HH", proto, len(l4))
        start = off + ihl
    elif ip[0] >> 4 == 6 and len(ip) >= 40:
        proto, plen = ip[6], struct.unpack("!H", ip[4:6])[0]
        l4 = ip[40:40 + plen]
        pseudo = ip[8:40] + struct.pack("!IxxxB", len(l4), proto)
        start = off + 40
    else:
        return packet
    field = {6: 16, 17: 6}.get(proto)
    if field is None or len(l4) < field + 2:
        return packet
    partial = _sum16(pseudo)
    if struct.unpack("!H", l4[field:field + 2])[0] != partial:
        return packet
    zeroed = l4[:field] + b"\0\0" + l4[field + 2:]
    full = ~_sum16(zeroed, _sum16(pseudo)) & 0xFFFF
    if full == 0 and proto == 17:
        full = 0xFFFF  # RFC 768: a computed zero is sent as all ones
    at = start + field
    return packet[:at] + struct.pack("!H", full) + packet[at + 2:]


def main():
    kind_u, ours = read_pcap(sys.argv[1])
    kind_k, kernel = read_pcap(sys.argv[2])
    print("ustack: %d packets (%s), kernel: %d packets (%s)" % (len(ours), kind_u, len(kernel),
                                                                 kind_k))
    if kind_u != kind_k:
        sys.exit("link types differ: %s vs %s" % (kind_u, kind_k))
    if not kernel:
        sys.exit("the kernel capture is empty")
    kernel = [complete_partial_checksum(p, kind_k) for p in kernel]
    theirs = collections.Counter(kernel)
    # The window is the shortest stretch of ustack's recording that starts with the kernel
    # capture's first packet, ends with its last and holds all of it (neighbour probes repeat
    # byte for byte, so the first/last packets may also occur outside the window).
    firsts = [i for i, p in enumerate(ours) if p == kernel[0]]
    lasts = [j for j, p in enumerate(ours) if p == kernel[-1]]
    window = None
    for i in reversed(firsts):
        for j in lasts:
            if j >= i and not (theirs - collections.Counter(ours[i:j + 1])):
                window = collections.Counter(ours[i:j + 1])
                break
        if window is not None:
            break
    if window is None:
        window = collections.Counter(ours)
    missing = theirs - window
    extra = window - theirs
    for p, n in list(missing.items())[:5]:
        print("only in the kernel capture (%dx): %s" % (n, p[:48].hex()))
    for p, n in list(extra.items())[:5]:
        print("only in ustack's recording (%dx): %s" % (n, p[:48].hex()))
    if missing or extra:
        sys.exit("captures differ: %d packets only in the kernel's, %d only in ustack's" %
                 (sum(missing.values()), sum(extra.values())))
    print("identical: %d packets" % sum(theirs.values()))


if __name__ == "__main__":
    main()
