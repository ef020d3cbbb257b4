#!/bin/bash
# KernelAndUstackMove50MiBEachWayThroughLossAndDelay: ustack's impairment model on both of its
# devices (the kernel here has no sch_netem), 1 % random loss and 20 ms delay each way, and at
# the same time
#   - a kernel curl downloads BULK_BYTES of /bytes/N from `ustack serve http:80` (ustack sends),
#   - a kernel python server sends BULK_BYTES of random data to `ustack connect` (kernel sends);
# every byte is checked with SHA-256. The table beside the checks sets ustack's retransmitted
# segments as a sender (its Tcp retrans_segs counter) against the kernel's on the same
# impairment (nstat TcpRetransSegs in the namespace): the figure `tools/bench/impaired_bulk.sh`
# reports. Nothing about time is asserted.
#
# By hand: BULK_BYTES=N (default 50 MiB), BULK_IMPAIR="delay=20ms,loss=1%".
source "$(dirname "$0")/lib.sh"
N=${BULK_BYTES:-52428800}
IMPAIR=${BULK_IMPAIR:-delay=20ms,loss=1%}
setup_ns
# The kernel's default here may be BBR, which ignores random loss: the kernel's sender runs
# CUBIC (TCP_CONGESTION; Linux's usual default and ustack's) so the two compare like with like.
KERNEL_CC=${BULK_KERNEL_CC:-cubic}
launch_sv serve -- --seed 1 --impair "$IMPAIR" http:80
echo "  impairment on each ustack device, both directions: $IMPAIR; $N bytes each way;" \
  "kernel congestion control $KERNEL_CC"

# The kernel's sender: sends $WORK/up to the first client, then waits for its FIN.
head -c "$N" /dev/urandom >"$WORK/up"
UP_SHA=$(sha256sum <"$WORK/up" | cut -d' ' -f1)
bg_ns /usr/bin/python3 -c '
import socket, sys
s = socket.create_server(("198.18.1.1", 7000))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, sys.argv[2].encode())
c, _ = s.accept()
print("kernel sender congestion control:",
      c.getsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, 16).rstrip(b"\0").decode(),
      flush=True)
with open(sys.argv[1], "rb") as f:
    c.sendfile(f)
c.shutdown(socket.SHUT_WR)
while c.recv(65536):
    pass
' "$WORK/up" "$KERNEL_CC"
wait_listen 7000
kernel_rtx_before=$(in_ns nstat -asz TcpRetransSegs | awk '/TcpRetransSegs/ {print $2}')
DOWN_SHA=$(generated_sha256 "$N")

upload() {  # the kernel sends: ustack connect receives into $WORK/got, its time in $WORK/up.t
  local t0=$EPOCHREALTIME
  "${CONNECT[@]}" --seed 2 --impair "$IMPAIR" 198.18.1.1 7000 </dev/null >"$WORK/got" \
    2>"$WORK/connect.err"
  echo "$? $t0 $EPOCHREALTIME" >"$WORK/up.t"
}
upload &
UP_JOB=$!
t0=$EPOCHREALTIME
got=$(in_ns curl -s --max-time 600 "http://198.18.0.2/bytes/$N" | sha256sum | cut -d' ' -f1)
t1=$EPOCHREALTIME
wait "$UP_JOB"
read -r up_rc up_t0 up_t1 <"$WORK/up.t"
check "curl downloaded $N bytes from ustack with the right SHA-256" test "$got" = "$DOWN_SHA"
check "ustack connect exits 0 after receiving from the kernel ($(cat "$WORK/connect.err"))" \
  test "$up_rc" = 0
check "ustack connect received $N bytes from the kernel with the right SHA-256" \
  test "$(sha256sum <"$WORK/got" | cut -d' ' -f1)" = "$UP_SHA"

kernel_rtx=$(($(in_ns nstat -asz TcpRetransSegs | awk '/TcpRetransSegs/ {print $2}') -
  kernel_rtx_before))
c=$(dump_counters)
ustack_rtx=$(counter Tcp retrans_segs <<<"$c")
lost_out=$(($(counter Impairment impair.out.lost_random <<<"$c") +
  $(counter Impairment impair.out.lost_burst <<<"$c")))
segs=$((N / 1448))
rate() { awk -v n="$N" -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", n * 8 / (b - a) / 1e6 }'; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
printf '  %-8s %-18s %8s %12s %14s %s\n' sender direction seconds "Mbit/s" "retrans segs" \
  "(~$segs data segments, $IMPAIR)"
printf '  %-8s %-18s %8s %12s %14s %s\n' ustack "ustack -> kernel" "$(secs "$t0" "$t1")" \
  "$(rate "$t0" "$t1")" "$ustack_rtx" "($lost_out packets lost on the way out)"
printf '  %-8s %-18s %8s %12s %14s\n' kernel "kernel -> ustack" "$(secs "$up_t0" "$up_t1")" \
  "$(rate "$up_t0" "$up_t1")" "$kernel_rtx"
check "the impairment lost ustack's packets ($lost_out)" test "$lost_out" -gt 0
check "ustack repaired the losses with retransmissions ($ustack_rtx)" test "$ustack_rtx" -gt 0
finish
