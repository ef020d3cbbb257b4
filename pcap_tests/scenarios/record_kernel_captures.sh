#!/bin/bash
# Records the Linux kernel's run of each scenario: captures/NAME.kernel.pcap, plus its line in
# captures/PROVENANCE.txt (date, kernel, command). A capture is kept only when the kernel
# passes the script — the scripts' expectations are Linux's behaviour, so a failure means the
# script or the recorder is wrong, not ustack.
#
#   sudo pcap_tests/scenarios/record_kernel_captures.sh [USTACK] [NAME.pkt ...]
#
# USTACK defaults to bazel-bin/tools/ustack; no names: every scenario. Needs root (a TUN in a
# fresh network namespace per run, removed after it).
set -uo pipefail
cd "$(dirname "$0")"
USTACK="${1:-../../bazel-bin/tools/ustack}"
shift || true
USTACK="$(realpath "$USTACK")"
mkdir -p captures
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
scripts=("$@")
((${#scripts[@]})) || scripts=(*.pkt)
failed=0
for pkt in "${scripts[@]}"; do
  name="${pkt%.pkt}"
  if "$USTACK" scenario run "$pkt" --against kernel --pcap-dir "$tmp" >"$tmp/out" 2>&1; then
    mv "$tmp/$name.kernel.pcap" "captures/$name.kernel.pcap"
    grep -v "^$name.kernel.pcap " captures/PROVENANCE.txt >"$tmp/prov" 2>/dev/null || true
    printf '%s  %s, Linux %s: ustack scenario run %s --against kernel --pcap-dir (PASS)\n' \
      "$name.kernel.pcap" "$(date -u +%F)" "$(uname -r)" "$pkt" >>"$tmp/prov"
    sort "$tmp/prov" >captures/PROVENANCE.txt
    echo "recorded $name"
  else
    echo "NOT recorded $name (the kernel failed the script):"
    sed 's/^/  /' "$tmp/out"
    failed=$((failed + 1))
  fi
done
exit $((failed > 0))
