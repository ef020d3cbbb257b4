#!/usr/bin/env python3
"""Checks events files against their documented schema, read from docs/events.md itself.

usage: events_schema_check.py DOCS/events.md EVENTS...

The document's tables are the schema: the header's fields; each event line's common fields;
per category the events it names and, per event, the data fields its row names in backticks
(`segment_received` "as `segment_sent`" inherits them, and `options` its keys); the values of
the enumerated fields (`why`, the reasons of `cwnd`, `ca_state` and `retransmit`, the timers
and their actions, the windows, the phases) must be among those the document lists. So a field
or value the core starts to emit without a line in docs/events.md fails here. One line per
problem on stdout, exit status 1 if any.
"""
import json
import re
import sys

TICKS = re.compile(r"`([^`]+)`")


def ticks(text):
    return set(TICKS.findall(text))


def parse_doc(path):
    text = open(path, encoding="utf-8").read()
    lines = text.splitlines()
    schema = {"events": {}, "rows": {}}
    section = None
    table = None  # the first column's heading of the table being read
    for line in lines:
        if line.startswith("## ") or line.startswith("### "):
            section = line.lstrip("#").strip()
            table = None
            continue
        if not line.startswith("|"):
            table = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if table is None:
            table = cells[0]
            continue
        if set(cells[0]) <= set("-: "):
            continue
        names = TICKS.findall(cells[0])
        if section == "Header (first line)" and table == "field":
            schema.setdefault("header", set()).update(names)
        elif section == "Event lines" and table == "field":
            schema.setdefault("common", set()).update(names)
        elif section and section.startswith("category") and table == "event":
            cats = TICKS.findall(section)
            for name in names:
                schema["events"][name] = set(cats)
                schema["rows"][name] = cells[1:]
        elif table == "why":
            schema.setdefault("why", set()).update(names)
    # Paragraphs listing reasons: "`cwnd` reasons: ..." up to the next blank line.
    for key, head in (("cwnd_reasons", "`cwnd` reasons:"), ("ca_reasons", "`ca_state` reasons:")):
        start = text.index(head) + len(head)
        end = text.find("\n\n", start)
        schema[key] = {
            t.split(" ")[0] for t in re.findall(r"`([^`]+)` \(", text[start:end])
        } | set(re.findall(r"`([a-z-]+)` /", text[start:end]))
    # The categories the common-field table names.
    row = next(l for l in lines if l.startswith("| `category` |"))
    schema["categories"] = ticks(row.split("|")[2])
    return schema


def row_fields(schema, event):
    cells = schema["rows"][event]
    fields = ticks(cells[0])
    m = re.match(r"as `([a-z_]+)`", cells[0])
    if m:
        fields |= row_fields(schema, m.group(1))
    return fields


def check_file(path, schema, problems):
    def bad(n, what):
        problems.append("%s: line %d: %s" % (path, n, what))

    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    if not lines:
        bad(0, "empty")
        return
    head = json.loads(lines[0])
    if set(head) != schema["header"]:
        bad(1, "header fields %s, documented %s" % (sorted(head), sorted(schema["header"])))
    for n, line in enumerate(lines[1:], 2):
        e = json.loads(line)
        extra = set(e) - schema["common"]
        if extra:
            bad(n, "undocumented fields %s" % sorted(extra))
        for k in ("time", "category", "event", "data"):
            if k not in e:
                bad(n, "no %s" % k)
        if not isinstance(e.get("time"), int):
            bad(n, "time is not an integer")
        cat, ev, data = e.get("category"), e.get("event"), e.get("data", {})
        if cat not in schema["categories"]:
            bad(n, "undocumented category %r" % cat)
        if ev not in schema["events"]:
            bad(n, "undocumented event %r" % ev)
            continue
        if cat not in schema["events"][ev]:
            bad(n, "event %r in category %r, documented in %s" % (ev, cat,
                                                                  sorted(schema["events"][ev])))
        fields = row_fields(schema, ev)
        for k in data:
            if k not in fields:
                bad(n, "%s: undocumented data field %r" % (ev, k))
        for k in data.get("options", {}) if isinstance(data.get("options"), dict) else ():
            if k not in fields:
                bad(n, "%s: undocumented option %r" % (ev, k))
        row = " ".join(schema["rows"][ev])
        if ev == "segment_sent" and "why" in data and data["why"] not in schema["why"]:
            bad(n, "undocumented why %r" % data["why"])
        if ev == "cwnd" and data.get("reason") not in schema["cwnd_reasons"]:
            bad(n, "undocumented cwnd reason %r" % data.get("reason"))
        if ev == "ca_state" and data.get("reason") not in schema["ca_reasons"]:
            bad(n, "undocumented ca_state reason %r" % data.get("reason"))
        for k in ("timer", "action", "window", "phase"):
            if k in data and "`%s`" % data[k] not in row:
                bad(n, "%s: undocumented %s %r" % (ev, k, data[k]))
        if ev == "retransmit" and "`%s`" % data.get("reason") not in row:
            bad(n, "undocumented retransmit reason %r" % data.get("reason"))


def main():
    if len(sys.argv) < 3:
        print(__doc__.strip().splitlines()[2])
        return 2
    schema = parse_doc(sys.argv[1])
    problems = []
    for path in sys.argv[2:]:
        check_file(path, schema, problems)
    for p in problems[:50]:
        print(p)
    if len(problems) > 50:
        print("... %d more" % (len(problems) - 50))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
