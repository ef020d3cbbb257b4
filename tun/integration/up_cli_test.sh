#!/bin/bash
# `ustack up` as a person and the benchmark rig use it: attaching to a device someone else
# created and configured (in their namespace, via `ip netns exec`, and with --netns
# --no-create), cleanup of what it created, and one-line errors with a non-zero exit for: no
# permission, device busy, bad address or prefix, MTU out of range, unknown namespace, missing
# device, wrong device kind.
source "$(dirname "$0")/lib.sh"
require_root

# expect_error WANT ARGS...: `ustack up ARGS` must exit non-zero with WANT in its one-line error.
expect_error() {
  local want="$1" out rc
  shift
  out=$(timeout 10 "$USTACK" up "$@" 2>&1)
  rc=$?
  if [ "$rc" -eq 0 ] || [ "$rc" -eq 124 ]; then
    echo "exit $rc for: ustack up $*" >&2
    return 1
  fi
  [ "$(echo "$out" | wc -l)" -eq 1 ] || { echo "not one line: $out" >&2; return 1; }
  grep -qF -- "$want" <<<"$out" || { echo "got: $out; want: $want" >&2; return 1; }
  echo "  $out"
}

A=(--addr 198.18.0.2/24)
check "MTU out of range" expect_error "ustack up: --mtu 70000 out of range (68..65535)" \
  --tun "ust${ID}e" "${A[@]}" --mtu 70000
check "MTU too small" expect_error "--mtu 40 out of range" --tun "ust${ID}e" "${A[@]}" --mtu 40
check "bad address" expect_error "bad address '198.18.0.300'" --tun "ust${ID}e" \
  --addr 198.18.0.300/24
check "bad prefix" expect_error "prefix length '33' out of range (0..32 for IPv4)" \
  --tun "ust${ID}e" --addr 198.18.0.2/33
check "missing prefix" expect_error "has no prefix length" --tun "ust${ID}e" --addr 198.18.0.2
check "no device" expect_error "give a device" "${A[@]}"
check "unknown namespace (--no-create)" \
  expect_error "network namespace ustnone${ID} does not exist" \
  --tun "ust${ID}e" --netns "ustnone${ID}" --no-create "${A[@]}"
check "nothing left behind by the refused runs" bash -c "! ip netns list | grep -q ustnone${ID}"

# No permission: an unprivileged user cannot open /dev/net/tun (mode 0660), or, where it is
# 0666 as on most distributions, cannot attach to a device (TUNSETIFF needs CAP_NET_ADMIN).
mkdir -p "$WORK/bin" && cp "$USTACK" "$WORK/bin/ustack" && chmod 755 "$WORK" "$WORK/bin"
no_permission() {
  local out
  out=$(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
    "$WORK/bin/ustack" up --tun "ust${ID}p" "${A[@]}" 2>&1)
  [ $? -ne 0 ] && grep -Eq "(cannot open /dev/net/tun: Permission denied|cannot attach to device ust${ID}p: Operation not permitted) \(run as root" <<<"$out" ||
    { echo "got: $out" >&2; return 1; }
  echo "  $out"
}
check "no permission" no_permission

# The rig's way: it makes the namespace and a configured TUN, then runs us inside.
ip netns add "$NS" || die "cannot create namespace $NS"
RIG="ust${ID}r"
ip -n "$NS" tuntap add dev "$RIG" mode tun || die "ip tuntap add failed"
ip -n "$NS" addr add 198.18.4.1/24 dev "$RIG"
ip -n "$NS" link set "$RIG" up
check "missing device (--no-create)" expect_error "device ust${ID}x does not exist in namespace $NS" \
  --tun "ust${ID}x" --netns "$NS" --no-create "${A[@]}"
check "wrong kind" expect_error "exists but is not a TAP device" --tap "$RIG" --netns "$NS" "${A[@]}"

rig_form() {  # ip netns exec NS ustack up --tun DEV --addr ... --mtu 1500
  USTACK_LOG="$WORK/rig.log"
  "$@" >"$USTACK_LOG" 2>&1 &
  USTACK_PID=$!
  PIDS+=("$USTACK_PID")
  for _ in $(seq 100); do grep -q ready "$USTACK_LOG" && break; sleep 0.1; done
  grep -q "ready" "$USTACK_LOG" || { cat "$USTACK_LOG" >&2; return 1; }
  grep -q "(attached)" "$USTACK_LOG" || { echo "did not attach" >&2; return 1; }
  in_ns ping -c 3 -i 0.2 -W 2 198.18.4.2 | tail -2 || return 1
  # Busy: a second program cannot take the same single-queue device.
  expect_error "device $RIG is busy (another program has it open)" --tun "$RIG" --netns "$NS" \
    --addr 198.18.4.3/24 || return 1
  stop_ustack TERM
  [ "$USTACK_RC" -eq 0 ] || { echo "exit $USTACK_RC" >&2; return 1; }
  ip -n "$NS" link show "$RIG" >/dev/null || { echo "the rig's device is gone" >&2; return 1; }
}
check "attach inside the rig's namespace (ip netns exec)" rig_form \
  ip netns exec "$NS" "$USTACK" up --tun "$RIG" --addr 198.18.4.2/24 --mtu 1500 --seed 5
check "attach with --netns --no-create" rig_form \
  "$USTACK" up --tun "$RIG" --netns "$NS" --no-create --addr 198.18.4.2/24 --mtu 1500
check "namespace we did not create is kept" bash -c "ip netns list | grep -qw '$NS'"
ip netns delete "$NS"

# --gw: replies to an off-link kernel address go through the gateway; --mtu sets the device's.
USTACK_LOG="$WORK/gw.log"
GW_NS="ustgw${ID}"
EXTRA_NS+=("$GW_NS")
start_ustack --tun "ust${ID}g" --netns "$GW_NS" --mtu 9000 \
  --addr 198.18.0.2/24 --peer 198.18.0.1/24 --gw 198.18.0.1 \
  --addr fd00:1::2/64 --peer fd00:1::1/64 --gw fd00:1::1
ip -n "$GW_NS" addr add 198.19.0.1/32 dev lo
ip -n "$GW_NS" addr add fd00:2::1/128 dev lo
check "ready line names the MTU" grep -q "mtu 9000" "$USTACK_LOG"
check "device MTU is 9000 on the kernel side" bash -c \
  "ip -n '$GW_NS' link show 'ust${ID}g' | grep -q 'mtu 9000'"
check "an unfragmented 9000-byte ping fits (ping -M do -s 8972)" \
  ip netns exec "$GW_NS" ping -c 2 -i 0.2 -W 2 -M do -s 8972 198.18.0.2
check "reply to an off-link source goes via --gw (IPv4)" \
  ip netns exec "$GW_NS" ping -c 2 -i 0.2 -W 2 -I 198.19.0.1 198.18.0.2
check "reply to an off-link source goes via --gw (IPv6)" \
  ip netns exec "$GW_NS" ping -6 -c 2 -i 0.2 -W 2 -I fd00:2::1 fd00:1::2
stop_ustack TERM
ip netns delete "$GW_NS" 2>/dev/null

# The largest MTU: a 65535-byte IP packet crosses the TUN whole, both families.
USTACK_LOG="$WORK/bigmtu.log"
BIG_NS="ustbig${ID}"
EXTRA_NS+=("$BIG_NS")
start_ustack --tun "ust${ID}b" --netns "$BIG_NS" --mtu 65535 \
  --addr 198.18.0.2/24 --peer 198.18.0.1/24 --addr fd00:1::2/64 --peer fd00:1::1/64
check "--mtu 65535: an unfragmented 65535-byte IPv4 echo (ping -M do -s 65507)" \
  ip netns exec "$BIG_NS" ping -c 2 -i 0.2 -W 2 -M do -s 65507 198.18.0.2
check "--mtu 65535: an unfragmented 65535-byte IPv6 echo (ping -6 -M do -s 65487)" \
  ip netns exec "$BIG_NS" ping -6 -c 2 -i 0.2 -W 2 -M do -s 65487 fd00:1::2
stop_ustack TERM

# Without --gw the same off-link source is unreachable for ustack, and it says so in a counter.
USTACK_LOG="$WORK/nogw.log"
NS_SAVED="$NS"
NS="ustng${ID}"
EXTRA_NS+=("$NS")
start_ustack --tun "ust${ID}n" --netns "$NS" --addr 198.18.0.2/24 --peer 198.18.0.1/24
ip -n "$NS" addr add 198.19.0.1/32 dev lo
check "no reply to an off-link source without --gw" \
  bash -c "! ip netns exec '$NS' ping -c 1 -W 1 -I 198.19.0.1 198.18.0.2"
NOROUTE=$(dump_counters | counter Drops ipv4_no_route)
check "drops.ipv4_no_route counted ($NOROUTE)" test "$NOROUTE" -ge 1
stop_ustack TERM
ip netns delete "$NS" 2>/dev/null
NS="$NS_SAVED"

# What `ustack up` creates, it removes: namespace and device, on SIGTERM.
USTACK_LOG="$WORK/own.log"
OWN_NS="ustown${ID}"
EXTRA_NS+=("$OWN_NS")
start_ustack --tun "ust${ID}o" --netns "$OWN_NS" --addr 198.18.0.2/24 --peer 198.18.0.1/24
check "created namespace exists while running" bash -c "ip netns list | grep -qw '$OWN_NS'"
check "created device exists while running" ip -n "$OWN_NS" link show "ust${ID}o"
stop_ustack TERM
check "exit 0 on SIGTERM" test "$USTACK_RC" -eq 0
check "counters printed at exit" grep -q "end of counters" "$USTACK_LOG"
check "created namespace removed at exit" bash -c "! ip netns list | grep -qw '$OWN_NS'"
ip netns delete "$OWN_NS" 2>/dev/null
finish
