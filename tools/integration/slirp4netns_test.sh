#!/bin/bash
# `ustack slirp4netns` (issue 13 item 4): ustack as a drop-in for slirp4netns.
#
# Part 1, rootlesskit (Debian's package, run as root here): `rootlesskit --net=slirp4netns
# --slirp4netns-binary=$WORK/bin/slirp4netns` where that file is a symlink to ustack, so ustack
# runs its slirp4netns subcommand with rootlesskit's own command line (--mtu N -r 3 --cidr ...
# --disable-host-loopback PID tap0, after rootlesskit made tap0 in its child's namespace).
# The command inside downloads 1 MiB from a server on "the host" (namespace ustns<pid>, where
# rootlesskit and so ustack run) and checks its SHA-256; DNS at the .3 address goes to the
# host's resolv.conf nameserver (ip netns exec binds /etc/netns/NS/resolv.conf over
# /etc/resolv.conf): dnsmasq run by the test.
#
# Part 2, the options rootlesskit does not pass, called the way slirp4netns's callers do: a
# namespace held by a process (unshare -n), `slirp4netns -c -r FD -e FD --macaddress M PID tap0`
# with pipes; "1" on the ready pipe once configured, curl inside, then the exit pipe closed and
# ustack exits 0. And --netns-type=path with a relative namespace file.
#
#   netns ustns<pid> ("the host"): ustack runs here; veth 198.18.9.2/24 to
#   netns ustsrv<pid>:             the servers on 198.18.9.1 (http, dnsmasq) — not on the host
#                                  itself, which the sandbox may not reach (--disable-host-loopback)
#   rootlesskit's child namespace: tap0 198.18.6.100/24, default via 198.18.6.2
#   netns of `unshare -n sleep`:   tap0 198.18.7.100/24 (configured by ustack -c)
set -uo pipefail
source "$(dirname "$0")/lib.sh"

HOST_ADDR=198.18.9.1
HOST_ADDR6=fd00:9::1
require_root
command -v rootlesskit >/dev/null || die "rootlesskit not installed (apt-get install rootlesskit)"
SRV="ustsrv${ID}"
EXTRA_NS+=("$SRV")
bg_srv() {
  ip netns exec "$SRV" "$@" &
  BG_PID=$!
  PIDS+=("$BG_PID")
}
ip netns add "$NS" || die "cannot create netns $NS"
ip netns add "$SRV" || die "cannot create netns $SRV"
in_ns ip link set lo up
ip -n "$SRV" link set lo up
ip link add "ush${ID}" netns "$NS" type veth peer name "uss${ID}" netns "$SRV" ||
  die "cannot create the veth pair"
in_ns ip addr add 198.18.9.2/24 dev "ush${ID}"
in_ns ip addr add fd00:9::2/64 dev "ush${ID}" nodad
ip -n "$SRV" addr add "$HOST_ADDR6/64" dev "uss${ID}" nodad
in_ns ip link set "ush${ID}" up
ip -n "$SRV" addr add "$HOST_ADDR/24" dev "uss${ID}"
ip -n "$SRV" link set "uss${ID}" up

mkdir -p "$WORK/www" "$WORK/bin"
head -c $((1024 * 1024)) /dev/urandom >"$WORK/www/blob"
want=$(sha256sum <"$WORK/www/blob" | cut -d' ' -f1)
bg_srv python3 -m http.server --bind "$HOST_ADDR" --directory "$WORK/www" 8080 >/dev/null 2>&1
bg_srv python3 -m http.server --bind "$HOST_ADDR6" --directory "$WORK/www" 8080 >/dev/null 2>&1
bg_srv dnsmasq --no-daemon --no-resolv --no-hosts --port 53 --listen-address="$HOST_ADDR" \
  --bind-interfaces --host-record=rk.test,198.18.9.77 >"$WORK/dnsmasq.log" 2>&1
for _ in $(seq 50); do
  [ "$(ip netns exec "$SRV" ss -Hltn | grep -c ":8080")" = 2 ] && break
  sleep 0.1
done
# The host's resolver, as `ip netns exec $NS` shows /etc/resolv.conf to ustack.
mkdir -p "/etc/netns/$NS"
# rootlesskit's state dir holds a UNIX socket: a short path (Bazel's TEST_TMPDIR is too long).
RK_STATE=$(mktemp -d /tmp/ustrk.XXXXXX)
trap 'rm -rf "/etc/netns/$NS" "$RK_STATE"; rmdir /etc/netns 2>/dev/null; cleanup' EXIT
echo "nameserver $HOST_ADDR" >"/etc/netns/$NS/resolv.conf"

ln -s "$USTACK" "$WORK/bin/slirp4netns"
# rootlesskit's DetectFeatures and podman read `slirp4netns --help` (exit 0) for these names.
"$WORK/bin/slirp4netns" --help >"$WORK/help.out" 2>&1
help_rc=$?
check "'slirp4netns --help' (the symlink), exit 0, lists every option rootlesskit and podman look for" \
  bash -c "[ $help_rc = 0 ] && for o in --netns-type --cidr --disable-host-loopback --api-socket \
             --enable-sandbox --enable-seccomp --mtu --enable-ipv6 --disable-dns --macaddress; do
             grep -q -- \"\$o\" '$WORK/help.out' || { echo \"--help lacks \$o\"; exit 1; }; done"

check "'slirp4netns --version' and '-v' exit 0, first line 'slirp4netns version ...' (podman info)" \
  bash -c "'$WORK/bin/slirp4netns' --version | head -1 | grep -q '^slirp4netns version ' &&
           '$WORK/bin/slirp4netns' -v | grep -q '^SLIRP_CONFIG_VERSION_MAX: '"
# A closed --exit-fd / a --ready-fd open only for reading: one clear line and exit 2, before any
# device is made (slirp4netns would exit at once on the closed fd, or write to nothing).
"$WORK/bin/slirp4netns" -e 77 1 tapx >"$WORK/badfd.out" 2>&1
badfd_rc=$?
check "slirp4netns -e 77 (not open): exit 2, '--exit-fd 77: not an open file descriptor'" \
  bash -c "[ $badfd_rc = 2 ] && grep -q -- '--exit-fd 77: not an open file descriptor' '$WORK/badfd.out'"
"$WORK/bin/slirp4netns" -r 5 1 tapx 5</dev/null >"$WORK/badfd.out" 2>&1
badfd_rc=$?
check "slirp4netns -r 5 (open for reading): exit 2, '--ready-fd 5: open for reading only'" \
  bash -c "[ $badfd_rc = 2 ] && grep -q -- '--ready-fd 5: open for reading only' '$WORK/badfd.out'"

# --- Part 1: rootlesskit ---
cat >"$WORK/inside.sh" <<EOF2
ip -4 addr show dev tap0
ip -4 route show default
curl -sS --max-time 20 http://$HOST_ADDR:8080/blob | sha256sum | cut -d' ' -f1 >$WORK/rk_sha
dig +short +tries=2 +time=2 @198.18.6.3 rk.test >$WORK/rk_dig
ip -4 route show default >$WORK/rk_route
# IPv6 (--ipv6): rootlesskit configures none; the kernel takes it from ustack's advertisements.
for i in \$(seq 100); do
  ip -6 addr show dev tap0 scope global | grep -v tentative | grep -q 'inet6 fd00::' && break
  sleep 0.1
done
ip -6 addr show dev tap0; ip -6 route show default
curl -sS -g --max-time 20 'http://[$HOST_ADDR6]:8080/blob' | sha256sum | cut -d' ' -f1 >$WORK/rk_sha6
EOF2
# rootlesskit maps the user namespace with newuidmap from root's /etc/subuid range, which this
# machine does not have: a private mount namespace shows it one (the machine's file untouched).
echo "root:1000000:65536" >"$WORK/subid"
in_ns unshare -m sh -c 'mount --bind "$1" /etc/subuid && mount --bind "$1" /etc/subgid && shift &&
  exec "$@"' sh "$WORK/subid" \
  timeout 40 rootlesskit --debug --state-dir "$RK_STATE" --net=slirp4netns \
  --slirp4netns-binary="$WORK/bin/slirp4netns" --cidr 198.18.6.0/24 --mtu 1500 \
  --disable-host-loopback --slirp4netns-sandbox=true --slirp4netns-seccomp=true --ipv6 \
  --copy-up=/etc sh "$WORK/inside.sh" >"$WORK/rk.log" 2>&1
rk_rc=$?
USTACK_LOG="$WORK/rk.log"  # what finish shows on failure: rootlesskit's log, ustack's in it
sed 's/^/  rootlesskit: /' "$WORK/rk.log" | head -60
check "rootlesskit --net=slirp4netns with ustack as slirp4netns ran its command (exit 0)" \
  test "$rk_rc" = 0
check "inside rootlesskit: default route via 198.18.6.2 on tap0" \
  grep -q "default via 198.18.6.2 dev tap0" "$WORK/rk_route"
check "inside rootlesskit: curl 1 MiB from the host (SHA-256)" \
  test "$(cat "$WORK/rk_sha" 2>/dev/null)" = "$want"
check "inside rootlesskit --ipv6: SLAAC from ustack's advertisements, curl -6 1 MiB (SHA-256)" \
  test "$(cat "$WORK/rk_sha6" 2>/dev/null)" = "$want"
check "inside rootlesskit: DNS at 198.18.6.3 forwarded to the host's resolv.conf nameserver" \
  test "$(cat "$WORK/rk_dig" 2>/dev/null)" = 198.18.9.77
# rootlesskit --debug logs its slirp4netns's output: ustack, on the tap0 rootlesskit made.
check "it was ustack, on rootlesskit's tap0 in its child's /proc/PID/ns/net, MTU and CIDR given" \
  bash -c "grep -q 'ustack sandbox: tap tap0 (attached) in netns /proc/[0-9]*/ns/net, mtu 1500' \
             '$WORK/rk.log' &&
           grep -q '198.18.6.100/24 gateway 198.18.6.2 dns 198.18.6.3' '$WORK/rk.log' &&
           grep -q 'ustack sandbox: ready' '$WORK/rk.log'"
check "rootlesskit's --slirp4netns-sandbox=true --slirp4netns-seccomp=true: ustack entered its
  empty root, dropped capabilities and runs under its filter" \
  bash -c "grep -q 'privileges dropped (uid 0 gid 0, capabilities: CAP_NET_BIND_SERVICE), root an empty tmpfs' \
             '$WORK/rk.log' && grep -q 'seccomp filter installed' '$WORK/rk.log'"

# --- Part 2: the readiness protocol and --configure, as a harness ---
cat >"$WORK/harness.py" <<'PY'
"""Runs `slirp4netns ARGS...` with a ready pipe (-r) and an exit pipe (-e) as slirp4netns's
callers do; waits for "1", runs the check command, closes the exit pipe, waits for the exit."""
import os, select, subprocess, sys
binary, check_cmd, args = sys.argv[1], sys.argv[2], sys.argv[3:]
ready_r, ready_w = os.pipe()
exit_r, exit_w = os.pipe()
args = [a.replace("READY", str(ready_w)).replace("EXIT", str(exit_r)) for a in args]
p = subprocess.Popen([binary] + args, pass_fds=(ready_w, exit_r))
os.close(ready_w); os.close(exit_r)
got = os.read(ready_r, 10) if select.select([ready_r], [], [], 10)[0] else b"(nothing in 10 s)"
print("ready pipe said %r" % got, flush=True)
if got != b"1":
    p.kill(); p.wait(); sys.exit("no '1' on the ready pipe")
os.environ["SLIRP_PID"] = str(p.pid)  # for the check command
rc = subprocess.call(check_cmd, shell=True)
print("check command: exit %d" % rc, flush=True)
os.close(exit_w)  # slirp4netns's --exit-fd: the writer closing it ends the process
try:
    code = p.wait(timeout=10)
except subprocess.TimeoutExpired:
    p.kill(); p.wait(); sys.exit("did not exit after the exit pipe closed")
print("slirp4netns exited %d" % code, flush=True)
sys.exit(0 if rc == 0 and code == 0 else 1)
PY
ip netns exec "$NS" unshare -n sleep 600 &
HOLDER=$!
PIDS+=("$HOLDER")
for _ in $(seq 50); do
  [ "$(readlink /proc/$HOLDER/ns/net)" != "$(readlink /proc/self/ns/net)" ] &&
    [ "$(readlink /proc/$HOLDER/ns/net)" != "$(in_ns readlink /proc/self/ns/net)" ] && break
  sleep 0.1
done
inside="nsenter -t $HOLDER -n"
check_cmd="$inside ip -4 addr show dev tap0 | grep -q 'inet 198.18.7.100/24' &&
  $inside ip link show dev tap0 | grep -q 'link/ether 02:00:5e:10:00:07' &&
  $inside ip link show dev lo | grep -q 'UP' &&
  grep -Eq '^CapEff:[[:space:]]+0000000000000400\$' /proc/\$SLIRP_PID/status &&
  grep -Eq '^CapBnd:[[:space:]]+0000000000000400\$' /proc/\$SLIRP_PID/status &&
  test \"\$(ls /proc/\$SLIRP_PID/root | tr '\\n' ' ')\" = 'etc run ' &&
  test \"\$($inside curl -sS --max-time 20 http://$HOST_ADDR:8080/blob | sha256sum | cut -d' ' -f1)\" = $want"
# --enable-sandbox as slirp4netns does it: only CAP_NET_BIND_SERVICE (bit 10) left, the root an
# empty tmpfs holding /etc and /run.
check "slirp4netns -c -r -e --enable-sandbox PID tap0: '1' when configured, capabilities but CAP_NET_BIND_SERVICE dropped, root emptied, curl works, exit 0 when the exit pipe closes" \
  in_ns python3 "$WORK/harness.py" "$WORK/bin/slirp4netns" "$check_cmd" \
  -c -r READY -e EXIT --cidr 198.18.7.0/24 --macaddress 02:00:5e:10:00:07 --disable-dns \
  --enable-sandbox \
  "$HOLDER" tap0
check "the TAP it created went away with it" bash -c "! $inside ip link show tap0 2>/dev/null"

# -6 without -c, as rootlesskit's child takes IPv6: the namespace brings tap0 up and takes its
# address and default route from ustack's router advertisements (SLAAC in fd00::/64, the
# router ustack's link-local address), then downloads from the host's IPv6 server.
check_cmd="$inside ip link set tap0 up &&
  for i in \$(seq 100); do
    $inside ip -6 addr show dev tap0 scope global | grep -v tentative | grep -q 'inet6 fd00::' &&
      $inside ip -6 route show default | grep -q 'via fe80::' && break; sleep 0.1; done;
  $inside ip -6 addr show dev tap0; $inside ip -6 route show default;
  test \"\$($inside curl -sS -g --max-time 20 'http://[$HOST_ADDR6]:8080/blob' | sha256sum | cut -d' ' -f1)\" = $want"
check "slirp4netns -6 (no -c) PID tap0: SLAAC from ustack's router advertisements, curl -6 works" \
  bash -c "ip netns exec $NS python3 '$WORK/harness.py' '$WORK/bin/slirp4netns' \"\$0\" \
    -r READY -e EXIT --enable-ipv6 --cidr 198.18.7.0/24 --disable-dns $HOLDER tap0 \
    >'$WORK/ra.log' 2>&1; rc=\$?; cat '$WORK/ra.log'; exit \$rc" "$check_cmd"
# The kernel solicits a router when tap0 comes up (after its link-local address's DAD): ustack
# answered that solicitation (RFC 4861 §6.2.6) rather than leaving it to the next periodic RA.
check "the kernel's router solicitation at link-up was answered (solicited_sent >= 1)" \
  grep -Eq '^ +[1-9][0-9]* solicited_sent$' "$WORK/ra.log"
check "... and ustack, the router there, sent no router solicitation of its own" \
  bash -c "grep -Eq '^ +[0-9]+ in_router_solicits$' '$WORK/ra.log' &&
           ! grep -Eq '^ +[1-9][0-9]* out_router_solicits$' '$WORK/ra.log'"

# --netns-type=path with a relative path: the holder's namespace as /run/netns/NAME, from /run/netns.
PATHNS="ustsp${ID}"
EXTRA_NS+=("$PATHNS")
ip netns attach "$PATHNS" "$HOLDER" || die "cannot name the holder's namespace"
check_cmd="$inside ip -4 route show default | grep -q 'via 198.18.8.2 dev tap1' &&
  test \"\$($inside curl -sS --max-time 20 http://$HOST_ADDR:8080/blob | sha256sum | cut -d' ' -f1)\" = $want"
check "--netns-type=path NAME (relative to /run/netns) tap1, as 'ustack slirp4netns'" \
  bash -c "cd /run/netns && ip netns exec $NS python3 '$WORK/harness.py' '$USTACK' \"\$0\" \
    slirp4netns -c -r READY -e EXIT --cidr 198.18.8.0/24 --netns-type=path $PATHNS tap1" \
  "$check_cmd"
finish
