#!/bin/bash
# `ustack serve` / `ustack connect` reject bad arguments with one line naming the problem and
# a non-zero exit, before touching any device (so this test needs no root).
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

expect 2 "ustack serve: 'echo': want SERVICE:PORT (services: echo, discard, http, bulk, udp-echo, dns)" \
  serve "${DEV[@]}" echo
expect 2 "ustack serve: unknown service 'gopher' in 'gopher:70' (services: echo, discard, http, bulk, udp-echo, dns)" \
  serve "${DEV[@]}" gopher:70
expect 2 "ustack serve: port 70000 out of range (1..65535) in 'echo:70000'" \
  serve "${DEV[@]}" echo:70000
expect 2 "ustack serve: port 5001 given twice (bulk:5001, echo:5001)" \
  serve "${DEV[@]}" bulk:5001 echo:5001
expect 2 "ustack serve: 'http:8080:$TMP/nope': no such directory $TMP/nope" \
  serve "${DEV[@]}" "http:8080:$TMP/nope"
expect 2 "ustack serve: --keepalive 0: want IDLE[,INTERVAL[,COUNT]], whole seconds 1..32767 (count 1..127)" \
  serve "${DEV[@]}" --keepalive 0 echo:7
expect 2 "ustack connect: port 0 out of range (1..65535)" connect "${DEV[@]}" 198.18.0.1 0
expect 2 "ustack connect: bad --nameserver 'x' (want ADDR or ADDR:PORT, e.g. 198.18.0.1, 198.18.0.1:5353, fd00:1::1, [fd00:1::1]:5353)" \
  connect "${DEV[@]}" --nameserver x example.com 80
expect 2 "ustack resolve: --hosts $TMP/nope: cannot read: No such file or directory" \
  resolve "${DEV[@]}" --hosts "$TMP/nope" example.com
expect 2 "ustack resolve: --type MX: want A, AAAA or ANY" resolve "${DEV[@]}" --type MX example.com
expect 2 "ustack udp: --ttl 0 out of range (1..255)" udp send "${DEV[@]}" --ttl 0 198.18.0.1 9
expect 2 "ustack udp: --join 198.18.0.1: not a multicast group address (224.0.0.0/4, ff00::/8)" \
  udp listen "${DEV[@]}" --join 198.18.0.1 9
expect 2 "ustack udp: port 0 out of range (1..65535)" udp echo "${DEV[@]}" 0
expect 2 "ustack serve: dns:53 needs --host-record or --zone" serve "${DEV[@]}" dns:53
# Parse errors in ustack's words (not CLI11's "Could not convert: ..."), exit 2.
expect 2 "ustack up: --mtu: 'abc' is not a valid value (ustack up --help)" up "${DEV[@]}" --mtu abc
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
expect 2 "ustack connect: unexpected argument '3' (ustack connect --help)" \
  connect "${DEV[@]}" 198.18.0.1 2 3
expect 2 "ustack: unknown subcommand 'bogus' (ustack help lists them)" bogus
expect 2 "ustack help: unknown subcommand 'bogus' (ustack help lists them)" help bogus
expect 0 "" --version
expect 0 "" help connect
[ "$FAILURES" = 0 ] || { echo "FAIL: $FAILURES check(s) failed" >&2; exit 1; }
echo "all checks passed"
