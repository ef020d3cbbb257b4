#!/bin/bash
# Every subcommand rejects bad arguments with one line, 'ustack CMD: what (ustack CMD --help)',
# and exit code 2, before touching any device (so this test needs no root): CLI11's parse
# errors and each command's own checks alike.
set -uo pipefail
USTACK="${USTACK:-$PWD/tools/ustack}"
TMP="$(mktemp -d "${TEST_TMPDIR:-/tmp}/ustack-cli.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
FAILURES=0
DEV=(--tun ustcli0 --addr 198.18.0.2/24)

expect() {  # expect EXIT_CODE MESSAGE ARGS...
  local want_rc="$1" want="$2" out rc
  shift 2
  out=$("$USTACK" "$@" 2>&1 >/dev/null)
  rc=$?
  if [ "$rc" = "$want_rc" ] && [ "$out" = "$want" ]; then
    echo "ok: $*"
  else
    echo "FAIL: $*: exit $rc, '$out' (want exit $want_rc, '$want')" >&2
    FAILURES=$((FAILURES + 1))
  fi
}

expect 2 "ustack serve: 'echo': want SERVICE:PORT (services: echo, discard, http, bulk, udp-echo, dns) (ustack serve --help)" \
  serve "${DEV[@]}" echo
expect 2 "ustack serve: unknown service 'gopher' in 'gopher:70' (services: echo, discard, http, bulk, udp-echo, dns) (ustack serve --help)" \
  serve "${DEV[@]}" gopher:70
expect 2 "ustack serve: port 70000 out of range (1..65535) in 'echo:70000' (ustack serve --help)" \
  serve "${DEV[@]}" echo:70000
expect 2 "ustack serve: port 5001 given twice (bulk:5001, echo:5001) (ustack serve --help)" \
  serve "${DEV[@]}" bulk:5001 echo:5001
expect 2 "ustack serve: 'http:8080:$TMP/nope': no such directory $TMP/nope (ustack serve --help)" \
  serve "${DEV[@]}" "http:8080:$TMP/nope"
expect 2 "ustack serve: --keepalive 0: want IDLE[,INTERVAL[,COUNT]], whole seconds 1..32767 (count 1..127) (ustack serve --help)" \
  serve "${DEV[@]}" --keepalive 0 echo:7
expect 2 "ustack connect: port 0 out of range (1..65535) (ustack connect --help)" connect "${DEV[@]}" 198.18.0.1 0
expect 2 "ustack connect: bad --nameserver '198.18.0.300' (want ADDR or ADDR:PORT, e.g. 198.18.0.1, 198.18.0.1:5353, fd00:1::1, [fd00:1::1]:5353) (ustack connect --help)" \
  connect "${DEV[@]}" --nameserver 198.18.0.300 example.com 80
expect 2 "ustack resolve: --hosts $TMP/nope: cannot read: No such file or directory (ustack resolve --help)" \
  resolve "${DEV[@]}" --hosts "$TMP/nope" example.com
expect 2 "ustack resolve: --type MX: want A, AAAA or ANY (ustack resolve --help)" resolve "${DEV[@]}" --type MX example.com
expect 2 "ustack udp send: --ttl 0 out of range (1..255) (ustack udp send --help)" udp send "${DEV[@]}" --ttl 0 198.18.0.1 9
expect 2 "ustack udp listen: --join 198.18.0.1: not a multicast group address (224.0.0.0/4, ff00::/8) (ustack udp listen --help)" \
  udp listen "${DEV[@]}" --join 198.18.0.1 9
expect 2 "ustack udp echo: port 0 out of range (1..65535) (ustack udp echo --help)" udp echo "${DEV[@]}" 0
expect 2 "ustack serve: dns:53 needs --host-record or --zone (ustack serve --help)" serve "${DEV[@]}" dns:53
# Parse errors in ustack's words (not CLI11's "Could not convert: ..."), exit 2.
expect 2 "ustack up: --mtu: 'abc' is not a valid value (ustack up --help)" up "${DEV[@]}" --mtu abc
expect 2 "ustack python: want SCRIPT [ARGS...] -- DEVICE OPTIONS (ustack python --help)" python x.py
expect 2 "ustack python: want SCRIPT [ARGS...] -- DEVICE OPTIONS (ustack python --help)" python
expect 2 "ustack connect: port: unknown service 'htpp' (want a port number or a name from /etc/services) (ustack connect --help)" \
  connect "${DEV[@]}" 198.18.0.1 htpp
expect 2 "ustack connect: missing argument: port (ustack connect --help)" \
  connect "${DEV[@]}" 198.18.0.1
expect 2 "ustack connect: -z with -u: UDP has no connection to probe (ustack connect --help)" \
  connect "${DEV[@]}" -u -z 198.18.0.1 9
expect 2 "ustack udp send: missing argument: port (ustack udp send --help)" \
  udp send "${DEV[@]}" 198.18.0.1
expect 2 "ustack up: unknown option --bogus (ustack up --help)" up "${DEV[@]}" --bogus
expect 2 "ustack up: --tun needs a value (ustack up --help)" up --addr 198.18.0.2/24 --tun
# slirp4netns's command line (`ustack slirp4netns`, also run through a symlink named slirp4netns).
expect 2 "ustack slirp4netns: PID must be a positive integer (ustack slirp4netns --help)" \
  slirp4netns -c abc tap0
expect 2 "ustack slirp4netns: --mtu: 'x' is not a valid value (ustack slirp4netns --help)" \
  slirp4netns --mtu x 42 tap0
expect 2 "ustack slirp4netns: --macaddress needs --configure (-c) (ustack slirp4netns --help)" \
  slirp4netns --macaddress 02:00:5e:10:00:01 42 tap0
ln -s "$USTACK" "$TMP/slirp4netns"
USTACK="$TMP/slirp4netns" expect 2 \
  "ustack slirp4netns: unknown option --bogus (ustack slirp4netns --help)" --bogus 42 tap0
USTACK="$TMP/slirp4netns" expect 2 \
  "ustack slirp4netns: --netns-type cgroup: want pid or path (ustack slirp4netns --help)" \
  --netns-type=cgroup 42 tap0
expect 2 "ustack connect: unexpected argument '3' (ustack connect --help)" \
  connect "${DEV[@]}" 198.18.0.1 2 3
# Device options: the addresses the stack runs with are numeric (names are looked up by the
# running stack).
expect 2 "ustack up: --gw takes an address, not a name: 'router.test' (ustack up --help)" \
  up "${DEV[@]}" --gw router.test
expect 2 "ustack up: --addr takes an address, not a name: 'me.test/24' (ustack up --help)" \
  up --tun ustcli0 --addr me.test/24
expect 2 "ustack up: --peer takes an address, not a name: 'kernel.test/24' (ustack up --help)" \
  up "${DEV[@]}" --peer kernel.test/24
expect 2 "ustack connect: --nameserver takes an address, not a name: 'ns.test' (ustack connect --help)" \
  connect "${DEV[@]}" --nameserver ns.test example.com 80
expect 2 "ustack up: give a device: --tun DEV or --tap DEV (ustack up --help)" up --addr 198.18.0.2/24
expect 2 "ustack up: --mtu 70000 out of range (68..65535) (ustack up --help)" up "${DEV[@]}" --mtu 70000
expect 2 "ustack up: --snaplen needs --pcap FILE (it cuts the packets recorded there) (ustack up --help)" \
  up "${DEV[@]}" --snaplen 96
expect 2 "ustack connect: -w -1: want seconds > 0 (ustack connect --help)" \
  connect "${DEV[@]}" -w -1 198.18.0.1 80
expect 2 "ustack connect: -l ADDR and -s ADDR: give the address to listen on once (ustack connect --help)" \
  connect "${DEV[@]}" -l -s 198.18.0.2 198.18.0.2 80
expect 2 "ustack udp send: --local-port 0 out of range (1..65535) (ustack udp send --help)" \
  udp send "${DEV[@]}" -p 0 198.18.0.1 9
expect 2 "ustack udp send: --count needs --size (ustack udp send --help)" \
  udp send "${DEV[@]}" --count 3 198.18.0.1 9
expect 2 "ustack ping: -c -1: want a count >= 1 (ustack ping --help)" ping "${DEV[@]}" -c -1 198.18.0.1
expect 2 "ustack dump: -c: want a packet count of 1 or more, got 0 (ustack dump --help)" dump -c 0 x.pcap
# replay and scenario: their --pcap limits, and CLI11's checks in ustack's words.
expect 2 "ustack replay: --snaplen needs --pcap FILE (it cuts the packets recorded there) (ustack replay --help)" \
  replay --snaplen 96 x.pcap
expect 2 "ustack replay: --side: 'both': want one of client, server (ustack replay --help)" \
  replay --side both x.pcap
expect 2 "ustack replay: --allow $TMP/nope: no such file (ustack replay --help)" \
  replay --allow "$TMP/nope" x.pcap
expect 2 "ustack scenario run: --pcap-size needs --pcap-dir DIR (it rotates the files there) (ustack scenario run --help)" \
  scenario run --pcap-size 1 x.pkt
expect 2 "ustack scenario run: --snaplen -1 out of range (0..262144; 0 keeps whole packets) (ustack scenario run --help)" \
  scenario run --pcap-dir "$TMP" --snaplen -1 x.pkt
# sandbox --publish: one line saying what is wrong with the spec and the form it takes.
PUBLISH_FORM="want [HOSTADDR:]HOSTPORT:GUESTPORT[/tcp|/udp], e.g. 8080:80, 198.18.1.1:8080:80/udp, [fd00::1]:8080:80"
expect 2 "ustack sandbox: --publish '8080': no guest port ($PUBLISH_FORM) (ustack sandbox --help)" \
  sandbox --netns ustcli0 --publish 8080
expect 2 "ustack sandbox: --publish '8080:80/sctp': unknown protocol 'sctp' ($PUBLISH_FORM) (ustack sandbox --help)" \
  sandbox --netns ustcli0 --publish 8080:80/sctp
expect 2 "ustack sandbox: --publish 'fd00::1:8080:80': too many ':' (an IPv6 host address goes in brackets) ($PUBLISH_FORM) (ustack sandbox --help)" \
  sandbox --netns ustcli0 --publish fd00::1:8080:80
expect 2 "ustack sandbox: --publish '8080:0': guest port 0 out of range (1..65535) ($PUBLISH_FORM) (ustack sandbox --help)" \
  sandbox --netns ustcli0 --publish 8080:0
expect 2 "ustack sandbox: --publish '8080:80' and '0.0.0.0:8080:81': the same host port twice (ustack sandbox --help)" \
  sandbox --netns ustcli0 --publish 8080:80 --publish 0.0.0.0:8080:81
expect 2 "ustack sandbox: --publish needs a value (ustack sandbox --help)" sandbox --netns ustcli0 --publish
expect 2 "ustack scenario: missing subcommand (ustack scenario --help)" scenario
expect 2 "ustack: unknown subcommand 'bogus' (ustack help lists them)" bogus
expect 2 "ustack help: unknown subcommand 'bogus' (ustack help lists them)" help bogus
expect 0 "" --version
expect 0 "" help connect
[ "$FAILURES" = 0 ] || { echo "FAIL: $FAILURES check(s) failed" >&2; exit 1; }
echo "all checks passed"
