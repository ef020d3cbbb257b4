#!/usr/bin/env python3
"""Checks a report page as headless Chromium rendered it against the events it was made from.

report_check.py EVENTS DOM LOG RECOVERY: DOM is `chromium --dump-dom` of the page, LOG its
stderr with --enable-logging=stderr. The page must have logged nothing to the console (an
error, a blocked network request, an uncaught exception all show there) and finished (its
status element filled), and each chart must hold the number of points the events imply,
counted here independently from the events file. RECOVERY is the number of recovery periods
the (single) connection must show. Prints one line per problem; exit 1 if any.
"""
import html
import json
import re
import sys

INFINITE_SSTHRESH = 0x7FFFFFFF


def expected(events_path):
    conns = {}
    with open(events_path) as f:
        lines = f.read().splitlines()
    for line in lines[1:]:
        e = json.loads(line)
        if "conn" not in e:
            continue
        c = conns.setdefault(e["conn"], {
            "bars_sent": 0, "bars_received": 0, "marked": 0, "ack_sent": 0, "ack_received": 0,
            "sack_sent": 0, "sack_received": 0, "cwnd": 0, "ssthresh": 0, "rtt": 0,
            "states": 0, "sent": 0, "received": 0})
        d, ev = e["data"], e["event"]
        if ev in ("segment_sent", "segment_received"):
            way = ev.split("_")[1]
            c[way] += d["len"]
            span = d["len"] + ("S" in d["flags"]) + ("F" in d["flags"])
            c["bars_" + way] += span > 0
            c["ack_" + way] += "." in d["flags"]
            c["sack_" + way] += len(d.get("options", {}).get("sack", []))
        elif ev == "retransmit":
            c["marked"] += 1
        elif ev == "cwnd":
            c["cwnd"] += 1
            c["ssthresh"] += d["ssthresh"] < INFINITE_SSTHRESH
        elif ev == "rtt_sample":
            c["rtt"] += 1
        elif ev == "state":
            c["states"] += 1
    return conns


def main():
    events_path, dom_path, log_path, recovery = sys.argv[1:5]
    problems = []
    with open(log_path, errors="replace") as f:
        console = [l for l in f if ":CONSOLE" in l]
    problems += ["console: " + l.strip() for l in console]
    with open(dom_path, errors="replace") as f:
        dom = f.read()
    m = re.search(r'<pre id="ustack-report-status" hidden="">(.*?)</pre>', dom, re.S)
    if not m or not m.group(1).strip():
        problems.append("the page did not finish (no status): " + dom[-300:])
        print("\n".join(problems))
        return 1
    report = json.loads(html.unescape(m.group(1)))
    want = expected(events_path)
    got = {c["name"]: c for c in report["conns"]}
    if set(got) != set(want):
        problems.append("connections %s, want %s" % (sorted(got), sorted(want)))
    for name, w in want.items():
        if name not in got:
            continue
        # The graph is of the direction that carried more data: the stack's (its segments sent,
        # the peer's ACKs) or the peer's (segments received, the stack's ACKs).
        data, acks = ("sent", "received") if w["sent"] >= w["received"] else ("received", "sent")
        w["bars"], w["ack"], w["sack"] = w["bars_" + data], w["ack_" + acks], w["sack_" + acks]
        if data == "received":
            w["marked"] = None  # the peer's retransmissions are guessed from the sequence
        p = got[name]["points"]
        checks = {
            "segment bars (data+retransmit+probe points / 2)":
                ((p.get("data", 0) + p.get("retransmit", 0) + p.get("probe", 0)) / 2, w["bars"]),
            "retransmissions and probes marked": ((p.get("retransmit", 0) + p.get("probe", 0)) / 2,
                                                  w["marked"]),
            "ack": (p.get("ack", 0), w["ack"]),
            "window": (p.get("window", 0), w["ack"]),
            "sack (points / 2)": (p.get("sack", 0) / 2, w["sack"]),
            "cwnd": (p.get("cwnd", 0), w["cwnd"]),
            "ssthresh": (p.get("ssthresh", 0), w["ssthresh"]),
            "inflight": (p.get("inflight", 0), w["cwnd"]),
            "rwnd": (p.get("rwnd", 0), w["cwnd"]),
            "rtt": (p.get("rtt", 0), w["rtt"]),
            "srtt": (p.get("srtt", 0), w["rtt"]),
            "rto": (p.get("rto", 0), w["rtt"]),
            "states (the first one's from, then each to)": (got[name]["states"], w["states"] + 1),
            "recovery periods": (got[name]["recovery"], int(recovery)),
        }
        for what, (g, e) in checks.items():
            if e is not None and g != e:
                problems.append("%s: %s: chart holds %s, events imply %s" % (name, what, g, e))
        if w["bars"] == 0 or w["cwnd"] == 0:
            problems.append("%s: nothing to draw: %s" % (name, w))
    print("\n".join(problems) if problems else "ok: " + json.dumps(report))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
