#!/usr/bin/env python3
"""Compares `ustack dump` output with `tcpdump -nS` output of the same capture, packet by packet.

usage: dump_tcpdump_compare.py MANIFEST
  MANIFEST: one comparison a line, "TCPDUMP_OUT USTACK_OUT NAME" (one Python start for all:
  it takes seconds on a loaded machine).

Both outputs come from the same capture, filter and flags (tcpdump run with TZ=UTC; ustack
prints UTC). Each ustack packet line is "INDEX  [TIME  ]DESCRIPTION"; tcpdump's is
"[TIME ]DESCRIPTION". Hex dump lines (a tab first) follow their packet in both and must be
identical. The packet count, the time stamps and the "PROTO SRC > DST" part must always agree;
the whole line must agree, except for these known differences in what ustack decodes:
  - tcpdump names the application after a TCP segment's length (": HTTP: GET / ..."),
  - DNS messages (ustack prints its own DNS summary),
  - MLDv2 reports and NDP messages (ustack lists the group records, the link-address options
    and the advertisement's flags, which tcpdump shows only with -v),
  - fragments (ustack: "(frag ID:LEN@OFF+)", tcpdump: "ip-proto-1", "frag (OFF|LEN)"),
  - Linux cooked v2 captures (tcpdump prints "?     In  " for the interface and direction).
Prints every difference under the comparison's name, then "N passed, N failed"; exit status 1
if any failed.
"""
import re
import sys


def packets(lines, indexed):
    """[(line, [hex lines])] from the output, without ustack's "-- N packets" summary."""
    out = []
    for line in lines:
        if line.startswith("\t"):
            out[-1][1].append(line)
        elif indexed and line.startswith("-- "):
            continue
        else:
            if indexed:
                m = re.match(r"^(\d+)  (.*)$", line)
                if not m or int(m.group(1)) != len(out) + 1:
                    raise SystemExit("ustack line without its index %d: %r" % (len(out) + 1, line))
                line = m.group(2)
            out.append((line, []))
    return out


def split_time(ustack_line):
    """(time stamp, description) of a ustack line: they are separated by two spaces."""
    m = re.match(r"^( ?-?\S+(?: \d\d:\d\d:\S+)?)  (.*)$", ustack_line)
    if m and re.search(r"\d", m.group(1)):
        return m.group(1), m.group(2)
    return "", ustack_line  # -t: no time stamp


def endpoints(description):
    """"IP 198.18.0.1.80 > 198.18.0.2.4000" (or "ARP") : the part before the first ': '."""
    return description.split(": ", 1)[0]


def compare(tcpdump_out, ustack_out):
    """The differences between two outputs, as lines of text."""
    tcpdump = packets(open(tcpdump_out).read().splitlines(), indexed=False)
    ustack = packets(open(ustack_out).read().splitlines(), indexed=True)
    problems = []
    if len(tcpdump) != len(ustack):
        problems.append("tcpdump printed %d packets, ustack %d" % (len(tcpdump), len(ustack)))
    for n, ((t_line, t_hex), (u_line, u_hex)) in enumerate(zip(tcpdump, ustack), start=1):
        u_time, u_desc = split_time(u_line)
        prefix = u_time + " " if u_time else ""
        if not t_line.startswith(prefix):
            problems.append("packet %d: time stamp %r, tcpdump: %r" % (n, u_time, t_line))
            continue
        t_desc = t_line[len(prefix):]
        # SLL2: interface "?" and direction, padded to 4 (a description may start with a space).
        t_desc = re.sub(r"^\?\s+(In  |Out |B   |M   |P   )", "", t_desc)
        if "Flags [" in t_desc:
            t_desc = re.sub(r"(, length \d+):? (HTTP|RTSP|SIP|SMTP)\b.*$", r"\1", t_desc)
        u_desc = re.sub(r"( group record\(s\))( \[gaddr [^]]*\])+", r"\1", u_desc)
        u_desc = re.sub(r", (source|target) link-address [0-9a-f:]+", "", u_desc)
        if "neighbor advertisement" in u_desc:
            u_desc = re.sub(r", Flags \[[^]]*\]", "", u_desc)
        known = re.search(r"\.53: |\.53 > |ip-proto-|\(frag |frag \(", t_desc + " " + u_desc)
        if endpoints(t_desc) != endpoints(u_desc):
            problems.append("packet %d:\n  tcpdump: %s\n  ustack:  %s" % (n, t_desc, u_desc))
        elif not known and t_desc != u_desc:
            problems.append("packet %d:\n  tcpdump: %s\n  ustack:  %s" % (n, t_desc, u_desc))
        if t_hex != u_hex:
            problems.append("packet %d: hex dump differs:\n%s\n--- ustack:\n%s" %
                            (n, "\n".join(t_hex), "\n".join(u_hex)))
    return problems


def main():
    passed = failed = 0
    for entry in open(sys.argv[1]).read().splitlines():
        tcpdump_out, ustack_out, name = entry.split(" ", 2)
        problems = compare(tcpdump_out, ustack_out)
        if problems:
            failed += 1
            print("FAIL: %s:\n%s" % (name, "\n".join(problems[:10])))
        else:
            passed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
