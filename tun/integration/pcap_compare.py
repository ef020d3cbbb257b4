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


def main():
    kind_u, ours = read_pcap(sys.argv[1])
    kind_k, kernel = read_pcap(sys.argv[2])
    print("ustack: %d packets (%s), kernel: %d packets (%s)" % (len(ours), kind_u, len(kernel),
                                                                 kind_k))
    if kind_u != kind_k:
        sys.exit("link types differ: %s vs %s" % (kind_u, kind_k))
    if not kernel:
        sys.exit("the kernel capture is empty")
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
