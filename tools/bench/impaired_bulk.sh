#!/bin/bash
# Bulk transfers against the real kernel through ustack's impairment model (issue 11): for each
# impairment in IMPAIRS, tools/integration/impair_bulk_test.sh moves BYTES each way at once —
# ustack sending to a kernel curl, the kernel (CUBIC, via TCP_CONGESTION) sending to `ustack
# connect` — checks every byte, and prints seconds, goodput and retransmitted segments of each
# sender side by side. A benchmark: run by hand (root, /dev/net/tun), not in any test suite.
#
#   bazel build -c opt //tools:ustack && cp bazel-bin/tools/ustack /tmp/ustack
#   USTACK=/tmp/ustack tools/bench/impaired_bulk.sh
#   USTACK=/tmp/ustack BYTES=10485760 IMPAIRS="loss=1% delay=20ms,loss=0.1%" tools/bench/impaired_bulk.sh
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${USTACK:?set USTACK to an ustack binary (bazel build -c opt //tools:ustack)}"
BYTES=${BYTES:-52428800}
IMPAIRS=${IMPAIRS:-delay=20ms,loss=1% delay=20ms,loss=0.1% delay=5ms,loss=2%}
echo "ustack $(git -C "$here" rev-parse --short HEAD 2>/dev/null) on $(uname -r), $(nproc) cores," \
  "$(date -u +%Y-%m-%d)"
for imp in $IMPAIRS; do
  USTACK=$USTACK BULK_BYTES=$BYTES BULK_IMPAIR=$imp \
    bash "$here/../integration/impair_bulk_test.sh" 2>&1 | grep -E "^  (sender|ustack|kernel) |FAIL"
done
