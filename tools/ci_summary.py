#!/usr/bin/python3
"""Turns `bazel test` output into per-test-case counts.

Reads bazel's stdout (the per-target status lines) on stdin, opens each target's test.xml
under bazel-testlogs (or the directory given by --testlogs) and prints
`<passed> <failed>` plus one line per failed test case on stderr. A target with a status
line but no XML (build failure, crash before XML) counts as one failed case.
"""
import argparse
import os
import re
import sys
import xml.etree.ElementTree as ET

STATUS = re.compile(r"^(//\S+)\s+(?:\(cached\)\s+)?(PASSED|FAILED|TIMEOUT|NO STATUS|FLAKY|"
                    r"FAILED TO BUILD|INCOMPLETE|SKIPPED)")


def cases(xml_path):
    tree = ET.parse(xml_path)
    for tc in tree.iter("testcase"):
        failed = tc.find("failure") is not None or tc.find("error") is not None
        yield f"{tc.get('classname', '')}.{tc.get('name', '')}", failed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--testlogs", default="bazel-testlogs")
    ap.add_argument("--label", default="")
    args = ap.parse_args()
    passed = failed = 0
    for line in sys.stdin:
        m = STATUS.match(line.strip())
        if not m:
            continue
        target, status = m.group(1), m.group(2)
        pkg, name = target[2:].split(":")
        xml = os.path.join(args.testlogs, pkg, name, "test.xml")
        target_failed = status not in ("PASSED", "FLAKY")
        n_ok = n_bad = 0
        if os.path.exists(xml) and status not in ("FAILED TO BUILD", "NO STATUS"):
            try:
                for case, bad in cases(xml):
                    if bad:
                        n_bad += 1
                        print(f"FAILED {args.label}{target} {case}", file=sys.stderr)
                    else:
                        n_ok += 1
            except ET.ParseError:
                pass
        if target_failed and n_bad == 0:
            # Crash, timeout or build failure: the XML (if any) cannot show it.
            n_bad = 1
            print(f"FAILED {args.label}{target} ({status})", file=sys.stderr)
        passed += n_ok
        failed += n_bad
    print(passed, failed)


if __name__ == "__main__":
    main()
