#!/bin/bash
# KernelPingsAndUploadsThroughUstackImpairment: `ustack serve --impair "delay=20ms,loss=1%"`
# (the kernel here has no sch_netem: ustack's own impairment model on its TUN device) — the
# kernel's ping sees every round trip take at least 2 x 20 ms, and a kernel nc upload to the
# discard service recovers from the losses with every byte counted; the counters show the
# losses by direction and cause. Only lower bounds on time are asserted (never an upper one).
source "$(dirname "$0")/lib.sh"
setup_ns
launch_sv serve -- --seed 1 --impair "delay=20ms,loss=1%" discard:9

for _ in $(seq 20); do in_ns ping -c 1 -W 1 198.18.0.2 >/dev/null 2>&1 && break; done
out=$(in_ns ping -q -c 300 -i 0.01 -W 2 198.18.0.2 2>&1)
echo "  $(tail -2 <<<"$out" | tr '\n' ' ')"
min=$(sed -n 's|^rtt min/avg/max/mdev = \([0-9.]*\)/.*|\1|p' <<<"$out")
check "ping's min rtt ${min:-?} ms >= 40 ms (20 ms each way)" \
  awk -v m="${min:-0}" 'BEGIN { exit !(m >= 40) }'

N=1048576
before=$(dump_counters | counter Services bytes_in)
head -c $N /dev/zero | in_ns nc -N -w 30 198.18.0.2 9
check "nc to discard through the impairment exits cleanly" test $? = 0
after=$(dump_counters | counter Services bytes_in)
check "discard received exactly 1 MiB despite the losses ($((after - before)))" \
  test $((after - before)) = $N

c=$(dump_counters)
echo "$c" | grep "impair\." | grep -v " 0 impair" | sed 's/^/  /'
lost=$(($(counter Impairment impair.in.lost_random <<<"$c") +
  $(counter Impairment impair.out.lost_random <<<"$c")))
check "the impairment lost packets at random ($lost)" test "$lost" -gt 0
check "every packet the stack sent was delayed" \
  test "$(counter Impairment impair.out.delayed <<<"$c")" -gt 300
check "nothing else impaired them" test "$(($(counter Impairment impair.in.duplicated <<<"$c") +
  $(counter Impairment impair.out.corrupted <<<"$c")))" = 0
finish
