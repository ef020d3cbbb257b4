#!/bin/bash
# ustack and gVisor's netstack side by side as TCP peers of the kernel over one TUN, with and
# without offloads, with 1 and N parallel bulk streams, and what each figure costs the peer in
# CPU. The shared rig's peer_compare.sh (../shared/bench) with a multi-stream mode and a CPU
# column: same tools (its bin/, built by its build.sh), same topology, same interleaving
# (rep by rep, mode by mode, peer by peer, so machine noise hits both alike), with the peer
# order rotating from rep to rep.
# A benchmark, not a test: it asserts nothing and is in no BUILD file's tests.
#
#   bazel build -c opt //tools:ustack && tools/bench/peer_compare_streams.sh
#   REPS=5 STREAMS="1 4 8" MODES=offload tools/bench/peer_compare_streams.sh
#
# Env: REPS DUR RRDUR (lib.sh's), MTU (1500), STREAMS ("1 4": bulk runs with that many parallel
#      clients, their Gbit/s summed), MODES ("offload plain": offload = gvtun -vnet against
#      ustack --offload; plain = gvtun without it against ustack --no-offload), USTACK_ARGS
#      (extra ustack flags, both modes), GVFLAGS (extra gvtun flags, both modes), BENCH (the
#      rig's directory, /work/shared/bench), TXQLEN (the TUN's txqueuelen for both peers; unset:
#      the kernel's 500, as the rig; ustack sets 4096 only on devices it creates itself).
#      USTACK_B / USTACK_B_ARGS: a second ustack (another binary, or the same with other flags,
#      e.g. USTACK_B_ARGS="--no-ack-coalescing --no-uso") takes its turn after the first in
#      every rep, and the table gets a column for it and the ratio ustack / ustack B: a
#      before/after comparison in interleaved runs.
# Topology: netns bst<pid>, TUN bst<pid>t, kernel 198.18.4.1/24, peer 198.18.4.2 serving the
# rig's bulk protocol on :5001 and TCP echo on :5002. Removed at exit, also on Ctrl-C.
#
# CPU cost: utime+stime of the peer process (all its threads, /proc/PID/stat) over each run.
# Bulk: CPU seconds per GB moved, and the same as cycles per byte at the CPU's nominal clock
# (/proc/cpuinfo "cpu MHz"; this VM exposes no cycle counter to perf). RR/CRR: CPU µs per
# transaction (tcprr's trans= count). The kernel's own side of the TUN is not counted.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BENCH=${BENCH:-/work/shared/bench}
[ -x "$BENCH/bin/gvtun" ] || "$BENCH/build.sh" >&2
source "$BENCH/lib.sh"
USTACK=${USTACK:-$ROOT/bazel-out/k8-opt/bin/tools/ustack}
[ -x "$USTACK" ] || { echo "no ustack at $USTACK (bazel build -c opt //tools:ustack)" >&2; exit 1; }
MTU=${MTU:-1500}
STREAMS=${STREAMS:-"1 4"}
MODES=${MODES:-"offload plain"}
PEERS="gvisor ustack"
if [ -n "${USTACK_B:-}${USTACK_B_ARGS:-}" ]; then
  USTACK_B=${USTACK_B:-$USTACK}
  PEERS="gvisor ustack ustackb"
fi
NS=bst$$
DEV=bst$$t
HZ=$(getconf CLK_TCK)
MHZ=$(awk -F: '/^cpu MHz/ {print $2+0; exit}' /proc/cpuinfo)
begin_results peer_compare_streams
TMP=$(mktemp -d)
_cleanup_tmp() { cleanup; rm -rf "$TMP"; }
trap _cleanup_tmp EXIT
mk_ns "$NS"
set_crr_sysctls "$NS"
ip -n "$NS" tuntap add dev "$DEV" mode tun
ip -n "$NS" addr add 198.18.4.1/24 dev "$DEV"
ip -n "$NS" link set "$DEV" mtu "$MTU"
[ -n "${TXQLEN:-}" ] && ip -n "$NS" link set "$DEV" txqueuelen "$TXQLEN"
ip -n "$NS" link set "$DEV" up

wait_tcp() {  # wait until 198.18.4.2:5002 accepts (max 10 s)
  for _ in $(seq 100); do
    ip netns exec "$NS" timeout 1 bash -c 'exec 3<>/dev/tcp/198.18.4.2/5002' 2>/dev/null && return 0
    sleep 0.1
  done
  echo "peer did not come up:" >&2; cat "$TMP/peer.log" >&2; return 1
}

start_peer() {  # start_peer gvisor|ustack offload|plain
  if [ "$1" = gvisor ]; then
    local f=""; [ "$2" = offload ] && f=-vnet
    start_bg ip netns exec "$NS" "$BIN/gvtun" -dev "$DEV" -addr 198.18.4.2/24 -mtu "$MTU" $f \
      ${GVFLAGS:-} >"$TMP/peer.log" 2>&1
  else
    local f=--no-offload bin=$USTACK args=${USTACK_ARGS:-}
    [ "$2" = offload ] && f=--offload
    [ "$1" = ustackb ] && bin=$USTACK_B args="${USTACK_ARGS:-} ${USTACK_B_ARGS:-}"
    start_bg ip netns exec "$NS" "$bin" serve --tun "$DEV" --addr 198.18.4.2/24 --mtu "$MTU" \
      $f $args bulk:5001 echo:5002 >"$TMP/peer.log" 2>&1
  fi
  PEER=$LAST_PID  # `ip netns exec` execs the peer: this is the peer's own PID
  wait_tcp
}

cpu_ticks() {  # utime+stime of PID in clock ticks (fields 14 and 15, counted after the ")")
  sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'
}

# bulk_run N FLAG: N clients at once; sets GBPS (sum), BYTES (sum), CPU (peer CPU-seconds)
bulk_run() {
  local n=$1 flag=$2 c0 c1 i pids=()
  c0=$(cpu_ticks "$PEER")
  for i in $(seq "$n"); do
    ip netns exec "$NS" "$BIN/bulk" client -H 198.18.4.2 -p 5001 -t "$DUR" $flag >"$TMP/c$i" 2>&1 &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i" || true; done
  c1=$(cpu_ticks "$PEER")
  read -r GBPS BYTES < <(cat "$TMP"/c[0-9]* | awk '{for (i=1;i<=NF;i++) {
      if ($i ~ /^gbps=/) {sub("gbps=","",$i); g+=$i} if ($i ~ /^bytes=/) {sub("bytes=","",$i); b+=$i}}}
    END {printf "%.3f %.0f\n", g, b}')
  CPU=$(awk -v d=$((c1 - c0)) -v hz="$HZ" 'BEGIN {printf "%.3f", d/hz}')
  rm -f "$TMP"/c[0-9]*
}

# rr_run rr|crr: sets TPS, P99, CPU_US (peer CPU µs per transaction)
rr_run() {
  local c0 c1 out trans
  c0=$(cpu_ticks "$PEER")
  out=$(ip netns exec "$NS" "$BIN/tcprr" "$1" -H 198.18.4.2 -p 5002 -t "$RRDUR" 2>&1) || true
  c1=$(cpu_ticks "$PEER")
  TPS=$(echo "$out" | field tps); P99=$(echo "$out" | field p99_us)
  trans=$(echo "$out" | field trans)
  CPU_US=$(awk -v d=$((c1 - c0)) -v hz="$HZ" -v t="${trans:-0}" \
    'BEGIN {if (t > 0) printf "%.1f", d / hz * 1e6 / t; else print "nan"}')
}

per_gb() { awk -v c="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.3f", c / (b / 1e9); else print "nan"}'; }

# rotated PEERS K: the peers starting at the K-th (0-based, wrapping). Each rep starts with
# another peer: a peer's turn right after another's ran measurably slower (an A/A run of two
# identical ustacks gave the second 1.1-1.2x the first), so a fixed order biases the ratios.
rotated() {
  local -a p=($PEERS)
  local n=${#p[@]} k
  for k in $(seq 0 $((n - 1))); do echo -n "${p[$(((k + $1) % n))]} "; done
}

declare -A V
for i in $(seq "$REPS"); do
  for mode in $MODES; do
    for peer in $(rotated $((i - 1))); do
      start_peer "$peer" "$mode"
      for s in $STREAMS; do
        for dir in in out; do
          flag=""; [ "$dir" = out ] && flag=-R
          bulk_run "$s" "$flag"
          V[$peer,$mode,$dir$s]+=" $GBPS"
          V[$peer,$mode,${dir}cpu$s]+=" $(per_gb "$CPU" "$BYTES")"
        done
      done
      rr_run rr
      V[$peer,$mode,rr]+=" $TPS"; V[$peer,$mode,p99]+=" $P99"; V[$peer,$mode,rrcpu]+=" $CPU_US"
      rr_run crr
      V[$peer,$mode,crr]+=" $TPS"; V[$peer,$mode,crrcpu]+=" $CPU_US"
      log "rep $i $mode $peer done"
      stop_bg "$PEER"
      sleep 1
    done
  done
done

median() { printf '%s\n' $1 | grep -E '^[0-9.]+$' | sort -g | awk '{v[NR]=$1} END {if (NR==0) print "nan"; else print (NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2}'; }
ratio() { awk -v u="$1" -v g="$2" 'BEGIN { if (g+0 > 0 && u != "nan") printf "%.2f", u/g; else print "n/a" }'; }
row() {  # row MODE KEY LABEL
  local g u b extra=""
  g=$(median "${V[gvisor,$1,$2]:-}"); u=$(median "${V[ustack,$1,$2]:-}")
  summarize "gVisor $1 $3" "" ${V[gvisor,$1,$2]:-} >/dev/null
  summarize "ustack $1 $3" "" ${V[ustack,$1,$2]:-} >/dev/null
  if [ "$PEERS" = "gvisor ustack ustackb" ]; then
    b=$(median "${V[ustackb,$1,$2]:-}")
    summarize "ustackB $1 $3" "" ${V[ustackb,$1,$2]:-} >/dev/null
    extra=$(printf '  ustackB %-10s ustack/ustackB %s' "$b" "$(ratio "$u" "$b")")
  fi
  printf '%-8s %-34s gVisor %-10s ustack %-10s ustack/gVisor %-5s%s\n' "$1" "$3" "$g" "$u" \
    "$(ratio "$u" "$g")" "$extra" | tee -a "$RESULTS"
}
cyc() {  # cycles per byte at the nominal clock, from a CPU-s/GB median
  awk -v s="$1" -v mhz="$MHZ" 'BEGIN {if (s != "nan") printf "%.2f", s * mhz * 1e6 / 1e9; else print "nan"}'
}
echo "# $(date -u '+%F %H:%M UTC') commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)" \
  "MTU $MTU TXQLEN=${TXQLEN:-500} REPS=$REPS DUR=$DUR RRDUR=$RRDUR load $(cut -d' ' -f1-3 /proc/loadavg)" \
  "cpu ${MHZ} MHz x $(nproc) USTACK_ARGS='${USTACK_ARGS:-}' GVFLAGS='${GVFLAGS:-}'" \
  "${USTACK_B:+USTACK_B=$USTACK_B USTACK_B_ARGS='${USTACK_B_ARGS:-}'}" | tee -a "$RESULTS"
for mode in $MODES; do
  for s in $STREAMS; do
    row "$mode" "in$s" "bulk kernel->peer x$s Gbit/s"
    row "$mode" "out$s" "bulk peer->kernel x$s Gbit/s"
    row "$mode" "incpu$s" "bulk kernel->peer x$s CPU-s/GB"
    row "$mode" "outcpu$s" "bulk peer->kernel x$s CPU-s/GB"
  done
  row "$mode" rr "RR 1 byte trans/s"
  row "$mode" p99 "RR p99 us"
  row "$mode" rrcpu "RR peer CPU us/trans"
  row "$mode" crr "CRR conn/s"
  row "$mode" crrcpu "CRR peer CPU us/conn"
done
echo "(cycles/byte = CPU-s/GB x $(cyc 1) at ${MHZ} MHz)" | tee -a "$RESULTS"
